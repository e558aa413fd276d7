"""The contract a new task builds on: a task whose targets live in token space and whose model returns no `logits`,
defined in this file alone (no edit to fasthf), trains, predicts, exports and loads in a fresh process, saves a HF
folder and is rebuilt from it by `HFLearner.from_pretrained`.

The toy task is extractive question answering reduced to its mechanics: the target is the answer's (start, end)
characters in the second text of a pair; the batch tokenizer aligns it to token positions (`TokenTarget.to_tokens`,
through the fast tokenizer's `char_to_token`); `AutoModelForQuestionAnswering` returns `start_logits` and
`end_logits`, which the task reads from the whole `ModelOutput` (`HFTask.outputs`). Defining the task class registers
it (`fasthf.registry`); `hf_learner` then finds it from the target block, as it finds `CategoryBlock`'s."""
import json, random, subprocess, sys
from pathlib import Path
import pandas as pd, torch, torch.nn.functional as F
from fastai.basics import DataBlock, ColReader, ColSplitter, ItemTransform, TransformBlock, TensorBase, tensor, load_learner
from fasthf.all import HFTask, HFTextBlock, HFLearner, TokenTarget, PadTokenOutputs, hf_learner, target_tfms, task_class
from fasthf.testing import tiny_text_checkpoint

class TensorSpan(TensorBase, TokenTarget):
    "An answer's (start, end) characters in the second text of a pair; its (start, end) tokens once its batch is tokenized"
    def to_tokens(self, enc, i, tfm):
        s, e = self.tolist()
        a, b = enc.char_to_token(i, s, sequence_index=1), enc.char_to_token(i, e - 1, sequence_index=1)
        return TensorSpan(tensor([a or 0, b or 0])) # cut off by truncation: the first token, as HF's question-answering examples do

class Span(ItemTransform):
    "(start, end) read from the row -> `TensorSpan`"
    def encodes(self, o): return TensorSpan(tensor([int(v) for v in o]))

def SpanBlock(): return TransformBlock(type_tfms=Span())

class SpanLoss:
    "Cross-entropy of the start token and of the end token, each over the tokens of the row"
    def __call__(self, out, targ): return (F.cross_entropy(out[..., 0], targ[:, 0].long()) + F.cross_entropy(out[..., 1], targ[:, 1].long())) / 2
    def activation(self, out): return out.softmax(1)
    def decodes(self, p): return p.argmax(1)

def span_accuracy(out, targ): return (out.argmax(1) == targ).all(1).float().mean()

class AnswerSpan(HFTask):
    "A span of the context answers the question: defining the class registers it, nothing in fasthf changes"
    name = 'test_answer_span'
    auto_names = {'text': 'AutoModelForQuestionAnswering'}
    @classmethod
    def from_dls(cls, dls): return cls() if any(isinstance(f, Span) for f in target_tfms(dls)) else None
    @classmethod
    def from_config(cls, config, meta): return cls()
    def outputs(self, out): return torch.stack([out['start_logits'], out['end_logits']], -1) # (batch, tokens, 2)
    def loss_func(self): return SpanLoss()
    def metrics(self): return [span_accuracy]
    def target_block(self): return SpanBlock()
    def placeholder_targets(self): return [(0, 1)]
    def callbacks(self): return [PadTokenOutputs(pred_value=-1e4)] # a softmax over tokens: padded tokens get no probability
    def decode(self, preds): return [dict(start_token=int(p[:, 0].argmax()), end_token=int(p[:, 1].argmax())) for p in preds]

NAMES, WORDS = ['anna', 'bob', 'chen', 'dana', 'eve'], 'the a good film was long and we saw it in town today again'.split()

def _rows(n=160, seed=0):
    rng, rows = random.Random(seed), []
    for i in range(n):
        pre, post, name = rng.sample(WORDS, rng.randint(1, 5)), rng.sample(WORDS, rng.randint(1, 5)), rng.choice(NAMES)
        context = ' '.join(pre + [name] + post)
        start = len(' '.join(pre)) + 1
        rows.append(dict(question='who was there?', context=context, start=start, end=start + len(name), is_valid=i % 5 == 0))
    return pd.DataFrame(rows)

def test_a_span_task_with_token_targets_and_its_own_outputs(tmp_path):
    ckpt, df = tiny_text_checkpoint('bert'), _rows()
    dls = DataBlock(blocks=(HFTextBlock(ckpt, max_length=24), SpanBlock()), get_x=ColReader(['question', 'context']),
                    get_y=ColReader(['start', 'end']), splitter=ColSplitter('is_valid')).dataloaders(df, bs=16)
    # the target is aligned to the batch's tokens: the answer's first and last token are the name's
    x, y = dls.one_batch()
    tok = dls.train.batch_tfm.tokenizer
    ids = x.model_inputs()['input_ids']
    for r in range(len(y)): assert tok.decode(ids[r, y[r, 0]:y[r, 1] + 1]).replace(' ', '') in NAMES

    learn = hf_learner(dls, ckpt, freeze=False)
    assert task_class('test_answer_span') is AnswerSpan and isinstance(learn.task, AnswerSpan)
    assert type(learn.model).__name__ == 'BertForQuestionAnswering'
    with learn.no_bar(), learn.no_logging(): learn.fit_one_cycle(6, 3e-3)
    losses = [v[0] for v in learn.recorder.values]
    assert losses[-1] < 0.5 * losses[0], losses

    # predictions: probabilities over `max_length` tokens for the start and the end, decoded to token positions
    pairs = [(q, c) for q, c in zip(df.question[:10], df.context[:10])]
    with learn.no_bar(): probs = learn.get_preds(dl=learn.test_dl(pairs))[0]
    assert probs.shape == (10, 24, 2)
    torch.testing.assert_close(probs.sum(1), torch.ones(10, 2))
    _, span, p = learn.predict(pairs[0])
    assert span.tolist() == p.argmax(0).tolist() and p.shape == (24, 2)

    # the saved folder is a plain question-answering model: its own start / end logits give the probabilities `predict` gave
    hf = learn.save_pretrained(tmp_path/'hf')
    assert json.loads((hf/'fasthf.json').read_text())['task'] == 'test_answer_span'
    from transformers import AutoModelForQuestionAnswering, AutoTokenizer
    m, t = AutoModelForQuestionAnswering.from_pretrained(hf).eval(), AutoTokenizer.from_pretrained(hf)
    with torch.no_grad(): out = m(**t(*pairs[0], return_tensors='pt'))
    n = out.start_logits.shape[1]
    torch.testing.assert_close(out.start_logits[0].softmax(0), p[:n, 0], atol=1e-5, rtol=0)
    torch.testing.assert_close(out.end_logits[0].softmax(0), p[:n, 1], atol=1e-5, rtol=0)

    # from_pretrained finds the task by its name; the rebuilt learner predicts the same
    l2 = HFLearner.from_pretrained(hf)
    assert isinstance(l2.task, AnswerSpan)
    with l2.no_bar(): torch.testing.assert_close(l2.get_preds(dl=l2.test_dl(pairs))[0], probs, atol=1e-5, rtol=0)

    # export / load_learner in a fresh process (it imports this file to unpickle the task, as a user's module would be)
    learn.export(tmp_path/'span.pkl')
    cases = {'span': {'pkl': str(tmp_path/'span.pkl'), 'items': [list(o) for o in pairs]}}
    (tmp_path/'cases.json').write_text(json.dumps(cases))
    subprocess.run([sys.executable, str(Path(__file__).parent/'_predict_fresh.py'), str(tmp_path/'cases.json'), str(tmp_path/'out.json')], check=True)
    fresh = json.loads((tmp_path/'out.json').read_text())
    torch.testing.assert_close(torch.tensor(fresh['span']), probs, atol=1e-5, rtol=0)
    torch.testing.assert_close(torch.tensor(fresh['span/predict']), p, atol=1e-5, rtol=0)

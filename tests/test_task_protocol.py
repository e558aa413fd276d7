"""A task defined here, outside the library, trains, predicts and round-trips through `save_pretrained` /
`from_pretrained`, `transformers.pipeline` and `export` / `load_learner`: evidence that `HFTask` is the only place a
new task touches. The toy task scores two classes with one logit (sigmoid and binary cross-entropy), which neither
the default loss, nor the config fields, nor the saved labels of single-label classification would give."""
import json
import pandas as pd, torch, torch.nn.functional as F
from fastai.basics import CategoryBlock, load_learner, Callback
from fasthf.all import HFTask, SequenceClassificationLearner, HFLearner
from fasthf.testing import tiny_text_checkpoint, tiny_corpus

class SingleLogitLoss:
    "BCE on one logit; `activation` and `decodes` give fastai's `predict` a probability and a class index"
    def __call__(self, out, targ): return F.binary_cross_entropy_with_logits(out.view(-1).float(), targ.float())
    def activation(self, out): return torch.sigmoid(out.view(-1))
    def decodes(self, p): return (p > 0.5).long()

def single_logit_accuracy(out, targ): return ((out.view(-1) > 0).long() == targ).float().mean()

class SingleLogitBinary(HFTask):
    "Two classes, one logit: defining the class registers it, nothing in fasthf changes"
    name = 'test_single_logit_binary'
    auto_names = {'text': 'AutoModelForSequenceClassification', 'vision': 'AutoModelForImageClassification'}
    def __init__(self, vocab): self.vocab = [str(v) for v in vocab]
    @classmethod
    def from_config(cls, config, meta): return cls(meta['classes'])
    def check(self, dls):
        if len(dls.vocab) != 2: raise ValueError(f"{self.name} takes exactly two classes, got {list(dls.vocab)}")
    def config_fields(self): return dict(num_labels=1, id2label={0: self.vocab[1]}, label2id={self.vocab[1]: 0})
    def loss_func(self): return SingleLogitLoss()
    def metrics(self): return [single_logit_accuracy]
    def meta(self): return {'classes': self.vocab}
    def target_block(self): return CategoryBlock(vocab=self.vocab)
    def placeholder_targets(self): return self.vocab
    def decode(self, preds): return [dict(label=self.vocab[int(p > 0.5)], probability=float(p)) for p in preds]

def _df():
    s = tiny_corpus(240, seed=4)
    return pd.DataFrame({'text': s, 'label': ['pos' if ('good' in t or 'love' in t or 'great' in t) else 'neg' for t in s]})

def test_a_task_defined_outside_the_library(tmp_path):
    df = _df()
    learn = SequenceClassificationLearner.from_df(df, tiny_text_checkpoint('bert'), bs=16, max_length=32,
                                                  task=SingleLogitBinary(['neg', 'pos']), freeze=False)
    assert learn.model.config.num_labels == 1 and learn.metrics[0].name == 'single_logit_accuracy'
    with learn.no_bar(), learn.no_logging(): learn.fit_one_cycle(4, 3e-3)
    losses = [v[0] for v in learn.recorder.values]
    assert losses[-1] < losses[0], losses
    label, idx, prob = learn.predict('a good film')
    assert label == ('pos' if prob > 0.5 else 'neg') and prob.shape == ()
    texts = df.text.iloc[:12].tolist()
    with learn.no_bar(): probs = learn.get_preds(dl=learn.test_dl(texts))[0]
    assert probs.shape == (12,)

    # export / load_learner
    learn.export(tmp_path/'toy.pkl')
    l2 = load_learner(tmp_path/'toy.pkl')
    with l2.no_bar(): assert torch.equal(l2.get_preds(dl=l2.test_dl(texts))[0], probs)
    assert isinstance(l2.task, SingleLogitBinary)

    # save_pretrained: the task's config fields and meta; from_pretrained finds the task by its name
    hf = learn.save_pretrained(tmp_path/'hf')
    meta = json.loads((hf/'fasthf.json').read_text())
    assert meta['task'] == 'test_single_logit_binary' and meta['classes'] == ['neg', 'pos']
    l3 = HFLearner.from_pretrained(hf)
    assert isinstance(l3.task, SingleLogitBinary) and l3.task.vocab == ['neg', 'pos']
    with l3.no_bar(): torch.testing.assert_close(l3.get_preds(dl=l3.test_dl(texts))[0], probs, atol=1e-5, rtol=0)
    assert l3.predict('a good film')[0] == label

    # transformers.pipeline reads one logit as a sigmoid score for id2label[0]
    from transformers import pipeline
    out = pipeline('text-classification', model=str(hf), device='cpu')(texts, truncation=True, max_length=32)
    assert all(o['label'] == 'pos' for o in out)
    torch.testing.assert_close(torch.tensor([o['score'] for o in out]), probs, atol=1e-5, rtol=0)
    assert l3.task.decode(probs[:1]) == [dict(label='pos' if probs[0] > 0.5 else 'neg', probability=float(probs[0]))]

"""Token classification round trips on tiny BERT (WordPiece), RoBERTa (byte-level BPE, `add_prefix_space`), DeBERTa-v2
and ALBERT (SentencePiece): train one epoch -> `predict` -> `export` + `load_learner` in a fresh process gives the same
probabilities -> `save_pretrained` -> `pipeline('token-classification', aggregation_strategy='first')` gives the same
entities over the same words and the same scores (1e-5), and `HFLearner.from_pretrained` the same probabilities."""
import json, random, subprocess, sys, warnings
import pandas as pd, pytest, torch
from fasthf.all import HFLearner
from fasthf.text.tags import TokenClassificationLearner
from fasthf.testing import tiny_text_checkpoint
from transformers import pipeline

ARCHS = ['bert', 'roberta', 'deberta-v2', 'albert']
# entities from the tiny tokenizers' own corpus words, so that the tiny vocabularies split them into few pieces
PER, LOC = [['man'], ['woman', 'child'], ['actor']], [['house'], ['tree', 'place'], ['world']]
TEXTS = ['the woman child watches the tree place', 'a man likes the world', 'the actor was in the house at night']

def _ner(n=96, seed=0):
    rng, rows = random.Random(seed), []
    for _ in range(n):
        p, l = rng.choice(PER), rng.choice(LOC)
        rows.append((['the'] + p + ['watches', 'the'] + l, ['O', 'B-PER'] + ['I-PER'] * (len(p) - 1) + ['O', 'O', 'B-LOC'] + ['I-LOC'] * (len(l) - 1)))
    return pd.DataFrame(rows, columns=['tokens', 'tags'])

FRESH = """
import json, sys, warnings
warnings.filterwarnings('ignore')
from fastai.learner import load_learner
cases, out = json.load(open(sys.argv[1])), {}
for k, c in cases.items():
    learn = load_learner(c['pkl'])
    out[k] = [learn.predict(t)[2].tolist() for t in c['texts']]
json.dump(out, open(sys.argv[2], 'w'))
"""

@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    tmp, res, df = tmp_path_factory.mktemp('tok'), {}, _ner()
    for arch in ARCHS:
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            learn = TokenClassificationLearner.from_df(df, tiny_text_checkpoint(arch), bs=16, seed=0, freeze=False)
        with learn.no_bar(), learn.no_logging(): learn.fit_one_cycle(1, 3e-3)
        preds = [learn.predict(t) for t in TEXTS]
        learn.export(tmp/f'{arch}.pkl')
        res[arch] = dict(learn=learn, preds=preds, pkl=str(tmp/f'{arch}.pkl'), hf=learn.save_pretrained(tmp/f'{arch}-hf'))
    return res, tmp

def test_every_word_tagged(trained):
    for arch, v in trained[0].items():
        for t, (tagged, ents, probs) in zip(TEXTS, v['preds']):
            assert [w['word'] for w in tagged] == t.split(), arch
            assert probs.shape == (len(t.split()), 5) and torch.allclose(probs.sum(-1), torch.ones(len(tagged)), atol=1e-5)
            for e in ents: assert t[e['start']:e['end']] == e['word'], (arch, e)

def test_fresh_process_load_learner(trained):
    res, tmp = trained
    json.dump({k: {'pkl': v['pkl'], 'texts': TEXTS} for k, v in res.items()}, open(tmp/'cases.json', 'w'))
    r = subprocess.run([sys.executable, '-c', FRESH, str(tmp/'cases.json'), str(tmp/'out.json')], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-3000:]
    out = json.load(open(tmp/'out.json'))
    for k, v in res.items():
        for p_fresh, (_, _, p) in zip(out[k], v['preds']): assert torch.equal(torch.tensor(p_fresh), p), k

def test_pipeline_and_from_pretrained(trained):
    for arch, v in trained[0].items():
        pipe = pipeline('token-classification', model=str(v['hf']), aggregation_strategy='first', device='cpu')
        learn2 = HFLearner.from_pretrained(v['hf'])
        for t, (tagged, ents, probs) in zip(TEXTS, v['preds']):
            ref = pipe(t)
            # the same entities over the same words (SentencePiece offsets in the pipeline include the space before a word)
            span = lambda e: (e['entity_group'], t[e['start']:e['end']].strip())
            assert [span(e) for e in ref] == [span(e) for e in ents], (arch, t, ref, ents)
            for a, b in zip(ref, ents): assert abs(float(a['score']) - b['score']) < 1e-5, (arch, t)
            p2 = learn2.predict(t)[2]
            assert torch.allclose(p2, probs, atol=1e-5), arch

def test_long_sentence_windows(trained):
    "A sentence longer than max_length: fasthf tags it in windows; the card says the pipeline reads it in one pass, and from_pretrained predicts as the learner (issue #35 item 3)"
    words = (' '.join(TEXTS) + ' ').split() * 40
    for arch, v in trained[0].items():
        learn = v['learn']
        n = learn.input_tfm.max_length
        assert sum(learn.input_tfm.word_tokens(words)) > n, arch # past the learner's windows
        card = (v['hf']/'README.md').read_text()
        assert f'A sentence longer than {n} tokens is tagged by fasthf in overlapping windows' in card, arch
        tagged, _, probs = learn.predict(words)
        assert [w['word'] for w in tagged] == words, arch
        assert torch.allclose(HFLearner.from_pretrained(v['hf']).predict(words)[2], probs, atol=1e-5), arch

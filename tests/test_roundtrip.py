"""Every tiny text architecture, single texts and pairs: DataBlock -> one `fit_one_cycle` epoch -> export ->
`load_learner` in a fresh process gives identical probabilities -> `save_pretrained` -> `transformers.pipeline` and
`HFLearner.from_pretrained` give the same probabilities."""
import warnings
import numpy as np, pandas as pd, pytest, torch
from fasthf.all import SequenceClassificationLearner, HFLearner
from fasthf.testing import TINY_TEXT_ARCHS, tiny_text_checkpoint, tiny_corpus
from transformers import pipeline
from _roundtrip_check import check_fresh_process, check_hf_folder

def _df(n=96, seed=0):
    s = tiny_corpus(2*n, seed=seed)
    df = pd.DataFrame({'a': s[:n], 'b': s[n:]})
    df['label'] = ['pos' if 'good' in a or 'love' in a else 'neg' for a in df.a]
    df.loc[:3, 'label'] = ['pos', 'neg', 'pos', 'neg']
    return df

@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    tmp = tmp_path_factory.mktemp('rt')
    res, df = {}, _df()
    for arch in TINY_TEXT_ARCHS:
        for pair in (False, True):
            name = f'{arch}-{"pair" if pair else "single"}'
            cols = ['a', 'b'] if pair else ['a']
            with warnings.catch_warnings():
                warnings.simplefilter('ignore')
                learn = SequenceClassificationLearner.from_df(df, tiny_text_checkpoint(arch), text_cols=cols, bs=16, max_length=48)
            learn.unfreeze()
            with learn.no_bar(), learn.no_logging(): learn.fit_one_cycle(1, 1e-3)
            assert np.isfinite(learn.recorder.losses[-1].item())
            items = [tuple(r) if pair else r[0] for r in df[cols].iloc[:12].itertuples(index=False)]
            probs, _ = learn.get_preds(dl=learn.dls.test_dl(items))
            learn.export(tmp/f'{name}.pkl')
            hf = learn.save_pretrained(tmp/f'{name}-hf')
            res[name] = dict(learn=learn, items=items, probs=probs, pkl=str(tmp/f'{name}.pkl'), hf=hf, pair=pair)
    return res, tmp

def test_fresh_process_load_learner(trained):
    check_fresh_process(*trained)

def test_pipeline_and_from_pretrained(trained):
    res, _ = trained
    for k, v in res.items():
        hf = v['hf']
        check_hf_folder(hf, k, ('neg', 'pos'))
        pipe = pipeline('text-classification', model=str(hf), device='cpu')
        inputs = [{'text': a, 'text_pair': b} for a, b in v['items']] if v['pair'] else list(v['items'])
        outs = pipe(inputs, top_k=None, truncation=True, max_length=48) if not v['pair'] else [pipe(o, top_k=None, truncation=True, max_length=48) for o in inputs]
        pp = torch.tensor([[{o['label']: o['score'] for o in out}[l] for l in ('neg', 'pos')] for out in outs])
        assert torch.allclose(pp, v['probs'], atol=1e-5), (k, (pp - v['probs']).abs().max())
        learn2 = HFLearner.from_pretrained(hf)
        p2, _ = learn2.get_preds(dl=learn2.dls.test_dl(v['items']))
        assert torch.allclose(p2, v['probs'], atol=1e-5), k

def test_card_pipeline_call_long_inputs(trained):
    "Inputs longer than `max_length`: the pipeline called as the model card says gives `learn.predict`'s probabilities (issue #35 item 3)"
    res, _ = trained
    long = lambda i: ' '.join(tiny_corpus(30, seed=100 + i)) # far past 48 tokens
    for k, v in res.items():
        learn = v['learn']
        kw = {**learn.input_tfm.pipeline_kwargs(), **learn.task.pipeline_kwargs()}
        assert kw == dict(truncation=True, max_length=48), kw
        card = (v['hf']/'README.md').read_text()
        assert "truncation=True, max_length=48)" in card, k
        items = [(long(i), long(i + 7)) for i in range(3)] if v['pair'] else [long(i) for i in range(3)]
        probs, _ = learn.get_preds(dl=learn.dls.test_dl(items))
        pipe = pipeline('text-classification', model=str(v['hf']), device='cpu')
        inputs = [{'text': a, 'text_pair': b} for a, b in items] if v['pair'] else items
        outs = [pipe(o, top_k=None, **kw) for o in inputs]
        pp = torch.tensor([[{o['label']: o['score'] for o in out}[l] for l in ('neg', 'pos')] for out in outs])
        assert torch.allclose(pp, probs, atol=1e-5), (k, (pp - probs).abs().max())
        assert pipe.tokenizer.model_max_length == 48, k # the saved tokenizer carries the learner's limit: truncation=True alone cuts there
        outs = [pipe(o, top_k=None, truncation=True) for o in inputs]
        pp = torch.tensor([[{o['label']: o['score'] for o in out}[l] for l in ('neg', 'pos')] for out in outs])
        assert torch.allclose(pp, probs, atol=1e-5), (k, (pp - probs).abs().max())

"""Multi-label and regression, for single texts, text pairs and images: DataBlock -> `fit_one_cycle` -> `predict` ->
`export` + `load_learner` in a fresh process identical -> `save_pretrained` -> `transformers.pipeline` (sigmoid /
no function chosen from the saved `problem_type`) and `HFLearner.from_pretrained` within 1e-5; then LoRA on both
tasks, merged, through the pipeline; and the bad inputs of both tasks."""
import json, warnings
import numpy as np, pandas as pd, pytest, torch
from fastai.basics import DataBlock, ColReader, ColSplitter, MultiCategoryBlock, RegressionBlock, L
from fasthf.all import (HFTextBlock, HFImageBlock, hf_learner, HFLearner, SequenceClassificationLearner, ImageClassificationLearner,
                        LoRACallback, MultiLabelClassification, Regression, CheckpointError)
from fasthf.testing import tiny_text_checkpoint, tiny_image_checkpoint, tiny_corpus, tiny_images
from transformers import pipeline
from _roundtrip_check import check_fresh_process

def _text_df(n=96, seed=0):
    s = tiny_corpus(2*n, seed=seed)
    df = pd.DataFrame({'a': s[:n], 'b': s[n:], 'is_valid': [i % 4 == 0 for i in range(n)]})
    df['tags'] = [';'.join(t for t, w in (('good', 'good'), ('film', 'film'), ('dog', 'dog')) if w in a + ' ' + b) for a, b in zip(df.a, df.b)]
    df['score'] = [len(a.split())/4 + 0.25*('good' in a) for a in df.a]
    df['score2'] = [len(b.split())/8 for b in df.b]
    return df

def _image_df(tmp, n=64):
    rows = []
    for i, (im, lab) in enumerate(tiny_images(n, seed=2)):
        f = tmp/f'im{i}.png'; im.save(f)
        a = np.asarray(im.convert('L'), dtype=np.float32)/255
        rows.append(dict(file=str(f), tags=';'.join(t for t, ok in (('light', lab == 'light'), ('wide', im.width > im.height), ('any', True)) if ok),
                         score=float(a.mean()), is_valid=i % 4 == 0))
    return pd.DataFrame(rows)

CASES = [(task, kind) for task in ('multi', 'regression') for kind in ('single', 'pair', 'image')]

def _dls(task, kind, tmp):
    if kind == 'image':
        df, x, get_x = _image_df(tmp), HFImageBlock(tiny_image_checkpoint('vit')), ColReader('file')
    else:
        df, x = _text_df(), HFTextBlock(tiny_text_checkpoint('bert'), max_length=32)
        get_x = ColReader(['a', 'b'] if kind == 'pair' else 'a')
    if task == 'multi': y, get_y = MultiCategoryBlock, ColReader('tags', label_delim=';')
    else: y, get_y = (RegressionBlock(n_out=2), ColReader(['score', 'score2'])) if kind == 'pair' else (RegressionBlock, ColReader('score'))
    dls = DataBlock(blocks=(x, y), get_x=get_x, get_y=get_y, splitter=ColSplitter('is_valid')).dataloaders(df, bs=16)
    items = (df.file.tolist() if kind == 'image' else list(zip(df.a, df.b)) if kind == 'pair' else df.a.tolist())[:12]
    return dls, items

def _pipe_scores(hf, kind, items, names):
    if kind == 'image':
        from PIL import Image
        outs = pipeline('image-classification', model=str(hf), device='cpu')([Image.open(f).convert('RGB') for f in items], top_k=None)
    else:
        pipe = pipeline('text-classification', model=str(hf), device='cpu')
        inputs = [{'text': a, 'text_pair': b} for a, b in items] if kind == 'pair' else items
        outs = [pipe(o, top_k=None, truncation=True, max_length=32) for o in inputs]
    outs = [o if isinstance(o, list) else [o] for o in outs]
    return torch.tensor([[{o['label']: o['score'] for o in out}[n] for n in names] for out in outs])

@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    tmp = tmp_path_factory.mktemp('tasks')
    res = {}
    for task, kind in CASES:
        name = f'{task}-{kind}'
        dls, items = _dls(task, kind, tmp)
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            learn = hf_learner(dls, tiny_image_checkpoint('vit') if kind == 'image' else tiny_text_checkpoint('bert'), freeze=False)
        assert isinstance(learn.task, MultiLabelClassification if task == 'multi' else Regression), name
        with learn.no_bar(), learn.no_logging(): learn.fit_one_cycle(2, 3e-3)
        assert all(np.isfinite(v).all() for v in learn.recorder.values), name
        with learn.no_bar(): probs, _ = learn.get_preds(dl=learn.test_dl(items))
        learn.export(tmp/f'{name}.pkl')
        res[name] = dict(learn=learn, items=items, probs=probs, pkl=str(tmp/f'{name}.pkl'), hf=learn.save_pretrained(tmp/f'{name}-hf'), kind=kind)
    return res, tmp

def test_predict(trained):
    res, _ = trained
    for name, v in res.items():
        learn, item = v['learn'], v['items'][0]
        out, dec, p = learn.predict(item)
        torch.testing.assert_close(p, v['probs'][0], atol=1e-6, rtol=0)
        if name.startswith('multi'):
            assert list(out) == [l for l, q in zip(learn.dls.vocab, p) if q > 0.5], name # fastai's MultiCategory: the labels above the threshold
            assert p.shape == (len(learn.dls.vocab),) and ((p >= 0) & (p <= 1)).all()
        else:
            n = learn.task.n_out
            assert p.shape == (n,), name
            assert list(out) == pytest.approx(p.tolist(), abs=1e-5), name # fastai's decoded regression target: the values

def test_fresh_process_load_learner(trained):
    res, tmp = trained
    check_fresh_process(res, tmp)

def test_pipeline_and_from_pretrained(trained):
    res, _ = trained
    for name, v in res.items():
        learn, hf = v['learn'], v['hf']
        cfg = json.loads((hf/'config.json').read_text())
        assert cfg['problem_type'] == ('multi_label_classification' if name.startswith('multi') else 'regression'), name
        names = [str(o) for o in learn.dls.vocab] if name.startswith('multi') else learn.task.names
        assert list(cfg['id2label'].values()) == names, name
        torch.testing.assert_close(_pipe_scores(hf, v['kind'], v['items'], names), v['probs'].view(len(v['items']), -1), atol=1e-5, rtol=0)
        l2 = HFLearner.from_pretrained(hf)
        assert type(l2.task) is type(learn.task), name
        with l2.no_bar(): torch.testing.assert_close(l2.get_preds(dl=l2.test_dl(v['items']))[0], v['probs'], atol=1e-5, rtol=0)

def test_names_and_threshold_saved(tmp_path):
    df = _text_df()
    learn = SequenceClassificationLearner.from_df(df, tiny_text_checkpoint('bert'), text_cols='a', label_col='tags', label_delim=';', thresh=0.3, bs=16, max_length=32)
    assert learn.task.thresh == 0.3 and learn.loss_func.thresh == 0.3
    hf = learn.save_pretrained(tmp_path/'hf')
    assert json.loads((hf/'fasthf.json').read_text())['thresh'] == 0.3
    assert HFLearner.from_pretrained(hf).task.thresh == 0.3
    r = SequenceClassificationLearner.from_df(df, tiny_text_checkpoint('bert'), text_cols='a', label_col=['score', 'score2'], bs=16, max_length=32, y_range=(0, 5))
    assert r.task.names == ['score', 'score2'] and r.task.y_range == (0., 5.)
    with r.no_bar(): p, _ = r.get_preds()
    assert ((p > 0) & (p < 5)).all() # predictions in the range
    hf = r.save_pretrained(tmp_path/'hf-r')
    assert HFLearner.from_pretrained(hf).task.y_range == (0., 5.)

def test_checkpoint_task_kept(tmp_path):
    "A checkpoint that carries a problem_type (a multi-label model from the Hub) gives a learner of that task"
    from transformers import AutoModelForSequenceClassification
    m = AutoModelForSequenceClassification.from_pretrained(tiny_text_checkpoint('bert'), num_labels=3, problem_type='multi_label_classification',
                                                           id2label={0: 'x', 1: 'y', 2: 'z'}, label2id={'x': 0, 'y': 1, 'z': 2})
    m.save_pretrained(tmp_path/'ml'); SequenceClassificationLearner.from_df(_text_df(), tiny_text_checkpoint('bert'), text_cols='a', label_col='tags', label_delim=';').tokenizer.save_pretrained(tmp_path/'ml')
    l = HFLearner.from_pretrained(tmp_path/'ml')
    assert isinstance(l.task, MultiLabelClassification) and l.task.vocab == ['x', 'y', 'z']
    with l.no_bar(): p, _ = l.get_preds(dl=l.test_dl(['a good film']))
    assert p.shape == (1, 3) and not torch.allclose(p.sum(1), torch.ones(1)) # sigmoids, not a softmax

@pytest.mark.parametrize('task', ['multi', 'regression'])
def test_lora_merge_pipeline(task, tmp_path):
    df = _text_df()
    kw = dict(label_col='tags', label_delim=';') if task == 'multi' else dict(label_col='score')
    learn = SequenceClassificationLearner.from_df(df, tiny_text_checkpoint('bert'), text_cols='a', bs=16, max_length=32, cbs=LoRACallback(r=4), **kw)
    learn.unfreeze()
    base = {n: p.detach().clone() for n, p in learn.model.named_parameters() if 'lora_' not in n and 'modules_to_save' not in n}
    with learn.no_bar(), learn.no_logging(): learn.fit_one_cycle(2, 3e-3)
    assert all(torch.equal(p, base[n]) for n, p in learn.model.named_parameters() if n in base)
    items = df.a.iloc[:8].tolist()
    with learn.no_bar(): probs, _ = learn.get_preds(dl=learn.test_dl(items))
    learn.lora.merge()
    hf = learn.save_pretrained(tmp_path/'merged')
    names = [str(o) for o in learn.dls.vocab] if task == 'multi' else learn.task.names
    torch.testing.assert_close(_pipe_scores(hf, 'single', items, names), probs.view(len(items), -1), atol=1e-5, rtol=0)

def raises(f, *phrases):
    with pytest.raises((ValueError, CheckpointError)) as e: f()
    for p in phrases: assert p in str(e.value), (p, str(e.value))

def test_bad_inputs(tmp_path):
    df, ck = _text_df(), tiny_text_checkpoint('bert')
    df0 = df.copy()
    mk = lambda **kw: SequenceClassificationLearner.from_df(df if 'df' not in kw else kw.pop('df'), ck, text_cols='a', bs=16, max_length=32, **kw)
    raises(lambda: mk(label_col='score', task='classification'), "holds floats such as", "Pass task='regression'")
    raises(lambda: mk(df=df.assign(score=[np.nan] + df.score.tolist()[1:]), label_col='score'), "Label column 'score' is empty in 1 row(s), first at position 0 (index label 0)")
    raises(lambda: mk(label_col='a', task='regression'), "Regression column 'a' holds str values", 'pd.to_numeric')
    raises(lambda: mk(label_col='tags', label_delim=';', vocab=['good', 'film']), "Label 'dog'", "is not in the vocab given")
    raises(lambda: mk(label_col='tags', label_delim=';', thresh=1.5), 'thresh=1.5', 'thresh must be a number with 0 < thresh < 1')
    raises(lambda: mk(label_col='score', y_range=(5, 1)), 'y_range=(5, 1)', 'lower end must be below the upper end')
    raises(lambda: mk(df=df.assign(whole=[float(i % 3) for i in range(len(df))]), label_col='whole'), 'floats with whole values only', "task='classification'")
    ml = mk(label_col='tags', label_delim=';')
    ml.save_pretrained(tmp_path/'ml')
    raises(lambda: SequenceClassificationLearner.from_df(df, tmp_path/'ml', text_cols='a', label_col='score', bs=16),
           'was fine-tuned for multi_label_classification but the data are a regression target')
    pd.testing.assert_frame_equal(df, df0)

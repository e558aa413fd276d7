"""The breadth sweep: every step of fasthf on one tiny architecture (`check`), and the whole sweep as a table (`main`).

`python tests/_sweep.py [--task text|image|all] [--target single|multi|regression|all] [--out docs/architectures.md] [model_type ...]`
(`bash tools/sweep.sh` runs it after the set-up)."""
import argparse, json, sys, tempfile, time, warnings
from pathlib import Path
import numpy as np, pandas as pd, torch
from fastai.callback.core import Callback
from fastai.learner import load_learner

TEXT, IMAGE, TOKENS = 'sequence-classification', 'image-classification', 'token-classification'
TARGETS = ('single', 'multi', 'regression') # single-label, multi-label, regression: the three problem types of both heads
TASK_TARGETS = {TEXT: TARGETS, IMAGE: TARGETS, TOKENS: ('tags',)} # token classification: one tag per word

class RawLosses(Callback):
    "The unsmoothed loss of every training batch"
    def __init__(self): self.losses = []
    def after_batch(self):
        if self.learn.training: self.losses.append(self.learn.loss.item())

def _text_df(n=96, seed=0):
    from fasthf.testing import tiny_corpus
    s = tiny_corpus(n, seed=seed)
    return pd.DataFrame({'text': s, 'label': ['pos' if 'good' in a or 'love' in a else 'neg' for a in s],
                         'tags': [[w for w in ('good', 'the', 'a') if w in a.split()] for a in s],
                         'score': [len(a.split())/8 + 0.5*('good' in a) for a in s]})

LABELS = {'single': dict(label_col='label'), 'multi': dict(label_col='tags'), 'regression': dict(label_col='score')}

def _ner_df(n=96, seed=0):
    "Sentences of the tiny corpus's words with persons and places tagged (IOB2)"
    import random
    rng, rows = random.Random(seed), []
    for _ in range(n):
        p, l = rng.choice([['man'], ['woman', 'child'], ['actor']]), rng.choice([['house'], ['tree', 'place'], ['world']])
        rows.append((['the'] + p + ['watches', 'the'] + l, ['O', 'B-PER'] + ['I-PER'] * (len(p) - 1) + ['O', 'O', 'B-LOC'] + ['I-LOC'] * (len(l) - 1)))
    return pd.DataFrame(rows, columns=['tokens', 'tags'])

NER_TEXTS = ['the woman child watches the tree place', 'a man likes the world', 'the actor was in the house']

def _learner(mt, task, path, tmp, target='single'):
    from fasthf.all import SequenceClassificationLearner, ImageClassificationLearner, TokenClassificationLearner
    from fasthf.testing import tiny_image_folder, tiny_images
    if task == TOKENS: return TokenClassificationLearner.from_df(_ner_df(), path, bs=16, max_length=32, seed=0), NER_TEXTS
    if task == TEXT:
        df = _text_df()
        return SequenceClassificationLearner.from_df(df, path, text_cols='text', bs=16, max_length=32, **LABELS[target]), df.text.iloc[:8].tolist()
    items = [im for im, _ in tiny_images(8, seed=5)]
    if target == 'single': return ImageClassificationLearner.from_folder(tiny_image_folder(tmp/'images', n=64), path, bs=16), items
    rows = []
    for i, (im, lab) in enumerate(tiny_images(64, seed=1)):
        a = np.asarray(im.convert('L'), dtype=np.float32)/255
        rows.append(dict(image=im, label=lab, tags=[t for t, ok in (('light', lab == 'light'), ('wide', im.width > im.height)) if ok], score=float(a.mean())))
    return ImageClassificationLearner.from_df(pd.DataFrame(rows), path, bs=16, **LABELS[target]), items

def _pipeline_probs(learn, task, hf, items):
    "Probabilities from `transformers.pipeline` on the saved folder (padded like fasthf pads, for padding-dependent models)"
    from transformers import pipeline
    from fasthf.core import dls_input_tfm
    if task == TEXT:
        pipe = pipeline('text-classification', model=str(hf), device='cpu')
        pad = dict(padding='max_length') if dls_input_tfm(learn.dls).pad_to_max else {}
        outs = pipe(items, top_k=None, truncation=True, max_length=32, **pad)
    else: outs = pipeline('image-classification', model=str(hf), device='cpu')(items, top_k=None)
    names = learn.task.names if hasattr(learn.task, 'names') else [str(o) for o in learn.dls.vocab]
    outs = [o if isinstance(o, list) else [o] for o in outs]
    return torch.tensor([[{o['label']: o['score'] for o in out}[l] for l in names] for out in outs])

def check(mt:str, task:str=TEXT, target:str='single', epochs:int=3, lr:float=3e-3)->dict:
    """DataBlock -> `hf_splitter` (>= 3 groups, every parameter in one) -> `fit_one_cycle` (finite losses, training loss
    falls) -> `predict` -> export round trip (`torch.equal`) -> `save_pretrained` + pipeline (1e-5 text, 1e-4 images)"""
    from fasthf.sweep import sweep_checkpoint, NotBuildable
    from fasthf.splitters import hf_splitter
    res, t0, step = dict(arch=mt, task=task, target=target), time.time(), 'build'
    try:
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            try: path = sweep_checkpoint(mt, task)
            except NotBuildable as e: return dict(res, status='not buildable', reason=str(e))
            step, tmp = 'datablock + learner', Path(tempfile.mkdtemp())
            learn, items = _learner(mt, task, path, tmp, target)
            step = 'splitter'
            groups = hf_splitter(learn.model)
            ids = [id(p) for g in groups for p in g]
            assert len(groups) >= 3, f'{len(groups)} parameter groups'
            assert len(ids) == len(set(ids)) and set(ids) == {id(p) for p in learn.model.parameters()}, 'the groups do not partition the parameters'
            step = 'fit_one_cycle'
            learn.unfreeze()
            learn.add_cb(RawLosses())
            with learn.no_bar(), learn.no_logging():
                before = learn.validate()[0]
                learn.fit_one_cycle(epochs if task != IMAGE else epochs + 1, lr)
                after = learn.validate()[0]
            tl = learn.raw_losses.losses
            assert np.isfinite(tl).all(), 'a non-finite training loss'
            assert np.mean(tl[-3:]) < np.mean(tl[:3]), f'the training loss did not fall: {np.mean(tl[:3]):.4f} -> {np.mean(tl[-3:]):.4f}'
            step = 'predict'
            with learn.no_bar():
                if task == TOKENS: preds = [learn.predict(t) for t in items]
                else:
                    learn.predict(items[0])
                    probs, _ = learn.get_preds(dl=learn.test_dl(items))
            step = 'export round trip'
            learn.export(tmp/'learner.pkl')
            l2 = load_learner(tmp/'learner.pkl')
            with l2.no_bar():
                if task == TOKENS: assert all(torch.equal(l2.predict(t)[2], p[2]) for t, p in zip(items, preds)), 'load_learner gives other probabilities'
                else:
                    p2, _ = l2.get_preds(dl=l2.test_dl(items))
                    assert torch.equal(p2, probs), 'load_learner gives other probabilities'
            step = 'save_pretrained + pipeline'
            hf = learn.save_pretrained(tmp/'hf')
            out = dict(res, status='pass', reason='', train_loss=f'{np.mean(tl[:3]):.3f} -> {np.mean(tl[-3:]):.3f}',
                       valid_loss=f'{before:.3f} -> {after:.3f}')
            if task == TOKENS:
                from transformers import pipeline
                from fasthf.core import dls_input_tfm
                pipe = pipeline('token-classification', model=str(hf), aggregation_strategy='first', device='cpu')
                tfm = dls_input_tfm(learn.dls)
                if tfm.pad_to_max:
                    # The model's outputs change with padding, so fasthf pads every batch to max_length; the token-classification
                    # pipeline has no padding option: compare it with fasthf's predictions of the same words unpadded
                    tfm.pad_to_max = False
                    try:
                        with learn.no_bar(): preds = [learn.predict(t) for t in items]
                    finally: tfm.pad_to_max = True
                    out['reason'] = (f'pipeline compared with fasthf unpadded: outputs change with padding, so fasthf pads to max_length=32 '
                                     "and the token-classification pipeline cannot pad")
                for t, (_, ents, _) in zip(items, preds):
                    ref = pipe(t)
                    span = lambda e: (e['entity_group'], t[e['start']:e['end']].strip())
                    assert [span(e) for e in ref] == [span(e) for e in ents], f'the pipeline finds other entities in {t!r}'
                    d = max([abs(float(a['score']) - b['score']) for a, b in zip(ref, ents)], default=0.)
                    assert d < 1e-5, f'the pipeline scores differ by {d:.1e}'
                return dict(out, seconds=round(time.time() - t0, 1))
            try: pp = _pipeline_probs(learn, task, hf, items)
            except KeyError:
                # PP-LCNet returns its logits as `last_hidden_state`: transformers' pipeline reads `logits` only
                if task != IMAGE or 'logits' in l2.model.eval()(pixel_values=l2.test_dl(items[:1]).one_batch()[0]).keys(): raise
                return dict(out, seconds=round(time.time() - t0, 1), reason="pipeline not compared: the model returns no `logits` (transformers' pipeline needs them)")
            d = (pp - probs.view(len(probs), -1)).abs().max().item()
            assert d < (1e-5 if task == TEXT else 1e-4), f'the pipeline differs by {d:.1e}'
        return dict(out, seconds=round(time.time() - t0, 1))
    except Exception as e:
        return dict(res, status='fail', reason=f'{step}: {type(e).__name__}: {" ".join(str(e).split())[:160]}', seconds=round(time.time() - t0, 1))

def table(results:list)->str:
    "Markdown: counts, then one row per architecture"
    n = lambda s, t=None: sum(r['status'] == s and (t is None or r['task'] == t) for r in results)
    n = lambda s, t, g: sum(r['status'] == s and r['task'] == t and r.get('target', 'single') == g for r in results)
    lines = ['| head | target | architectures | buildable | pass | fail | not buildable |', '| --- | --- | --- | --- | --- | --- | --- |']
    for t in (TEXT, TOKENS, IMAGE):
        for g in TASK_TARGETS[t]:
            tot = sum(r['task'] == t and r.get('target', 'single') == g for r in results)
            if tot: lines.append(f"| {t} | {g} | {tot} | {tot - n('not buildable', t, g)} | {n('pass', t, g)} | {n('fail', t, g)} | {n('not buildable', t, g)} |")
    lines += ['', '| architecture | head | target | result | seconds | training loss | notes |', '| --- | --- | --- | --- | --- | --- | --- |']
    for r in results:
        lines.append(f"| {r['arch']} | {r['task']} | {r.get('target', 'single')} | {r['status']} | {r.get('seconds', '')} | {r.get('train_loss', '')} | {r['reason'].replace('|', '/')} |")
    return '\n'.join(lines) + '\n'

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('archs', nargs='*', help='model types (default: all of the task)')
    p.add_argument('--task', default='all', choices=['text', 'tokens', 'image', 'all'])
    p.add_argument('--target', default='all', choices=[*TARGETS, 'all'], help='single-label, multi-label, regression, or all three')
    p.add_argument('--out', default=None, help='write the markdown table here (and the results as JSON beside it)')
    a = p.parse_args(argv)
    from fasthf.sweep import sweep_archs
    tasks = [TEXT, TOKENS, IMAGE] if a.task == 'all' else [{'text': TEXT, 'tokens': TOKENS, 'image': IMAGE}[a.task]]
    todo = [(mt, t, g) for t in tasks for mt in (a.archs or sweep_archs(t)) if not a.archs or mt in sweep_archs(t)
            for g in TASK_TARGETS[t] if a.target == 'all' or g == a.target or t == TOKENS]
    t0, results = time.time(), []
    for mt, t, g in todo:
        r = check(mt, t, g)
        results.append(r)
        print(json.dumps(r), flush=True)
    wall = time.time() - t0
    md = table(results)
    print(md)
    buildable = [r for r in results if r['status'] != 'not buildable']
    passed = sum(r['status'] == 'pass' for r in buildable)
    summary = f'{len(results)} architectures, {len(buildable)} buildable, {passed} pass ({100*passed/max(1, len(buildable)):.1f}%), wall {wall/60:.1f} min'
    print(summary)
    if a.out:
        out = Path(a.out)
        import torch as _t, transformers as _tr
        title = 'Architectures swept' + (': token classification' if tasks == [TOKENS] else '')
        head = (f'# {title}\n\nEvery model type in transformers {_tr.__version__} with a {" / ".join(tasks)} head, '
                f'built tiny and offline by `fasthf.sweep.sweep_checkpoint` and run through every fasthf step by `tests/_sweep.py` '
                f'(`bash tools/sweep.sh`). {summary}; {time.strftime("%Y-%m-%d")}, torch {_t.__version__}, CPU.\n\n')
        out.write_text(head + md)
        out.with_suffix('.json').write_text(json.dumps(dict(summary=summary, wall_s=wall, results=results), indent=1))
    return results

if __name__ == '__main__': main()

"""Accuracy at the same budget, per task: HF `Trainer` (set up as an expert would: linear decay, 10% warm-up, weight decay
0.01, `group_by_length`) against fasthf (`fit_one_cycle`, unfrozen), the packaged MiniLM, the same examples, epochs, batch
size, maximum length and seed, over the same learning-rate grid, plus each side's default: `Trainer`'s documented 5e-5, and
fasthf's documented recipe (`learn.fit_one_cycle(epochs)` at the task's default learning rate, what the README, the
tutorials and `fasthf train --lr default` run). Both sides are scored by the same function on the same validation rows
(scikit-learn / scipy / seqeval), from the predictions each side returns.

Tasks, on data that ships offline: `single` (Rotten Tomatoes fresh / rotten, accuracy), `pair` (MRPC from ../shared
where it is beside the clone, else BoolQ question / passage; F1 of the positive class), `multi` (the eight Toxicity
scores thresholded at 0.5, micro F1), `regression` (the eight Toxicity scores, mean Pearson r over them), `tokens`
(the CoNLL-2003 sample, entity F1).

python benchmarks/accuracy.py [--quick] [--tasks single pair multi regression tokens] [--lrs 3e-5 1e-4 3e-4] [--epochs 3] [--sides trainer fasthf]"""
import argparse, sys, tempfile, time
from pathlib import Path
sys.path.insert(0, str(Path(__file__).parent))
from _common import GLUE, add_device, device, quiet, report, table

TASKS = ('single', 'pair', 'multi', 'regression', 'tokens')
GRIDS = {'tokens': [1e-4, 3e-4, 1e-3]} # the grid of a task, where the default one (`--lrs`) does not reach its best
# the CoNLL sample has 170 training sentences: 10 epochs (110 steps) is the budget of a small real NER set; at 3 epochs (33
# steps) the best rate on both sides moves up, a regime no real NER training is in (see the README's Accuracy table)
EPOCHS = {'tokens': 10}
TRAINER_DEFAULT_LR = 5e-5 # `TrainingArguments.learning_rate`'s default, and the rate HF's fine-tuning guides use

def task_data(task, n_train, n_valid, glue=GLUE, y_scale=1.):
    "(train, valid) DataFrames and the column names of `task`: text columns, label column(s)"
    import pandas as pd
    from fasthf.assets import rotten_tomatoes, boolq, toxicity, conll_sample, glue_tsv, TOXICITY_SCORES
    from fasthf.text.tags import read_conll
    if task == 'single':
        df = rotten_tomatoes(n_train + n_valid, seed=0)
        return df.iloc[:n_train], df.iloc[n_train:], ['text'], 'label'
    if task == 'pair':
        if (Path(glue)/'MRPC'/'train.tsv').exists():
            tr, dv = glue_tsv(Path(glue)/'MRPC'/'train.tsv'), glue_tsv(Path(glue)/'MRPC'/'dev.tsv')
            tr, dv = tr.sample(frac=1, random_state=0).iloc[:n_train], dv.iloc[:n_valid]
            return tr, dv, ['sentence1', 'sentence2'], 'label'
        df = boolq('dev').sample(frac=1, random_state=0).iloc[:n_train + n_valid]
        df['label'] = (df.label == 'yes').astype(int)
        return df.iloc[:n_train], df.iloc[n_train:], ['question', 'passage'], 'label'
    if task in ('multi', 'regression'):
        df = toxicity().sample(frac=1, random_state=0).reset_index(drop=True)
        cols = list(TOXICITY_SCORES)
        if task == 'multi': df[cols] = (df[cols] > 0.5).astype(int)
        else: df[cols] = df[cols] * y_scale
        n_valid = min(n_valid, len(df) // 5)
        return df.iloc[:min(n_train, len(df) - n_valid)], df.iloc[len(df) - n_valid:], ['text'], cols
    if task == 'tokens':
        df = read_conll(conll_sample()).sample(frac=1, random_state=0).reset_index(drop=True)
        n_valid = min(n_valid, len(df) // 4)
        return df.iloc[:min(n_train, len(df) - n_valid)], df.iloc[len(df) - n_valid:], ['tokens'], 'tags'
    raise ValueError(task)

def score(task, preds, targs, vocab=None)->float:
    "The task's metric from raw model outputs `preds` and targets `targs` (numpy), the same for both sides"
    import numpy as np
    from sklearn.metrics import accuracy_score, f1_score
    if task == 'single': return float(accuracy_score(targs, preds.argmax(-1)))
    if task == 'pair': return float(f1_score(targs, preds.argmax(-1)))
    if task == 'multi': return float(f1_score(targs, (preds > 0).astype(int), average='micro')) # logits > 0: probability > 0.5
    if task == 'regression':
        from scipy.stats import pearsonr
        rs = [pearsonr(preds[:, i], targs[:, i])[0] if preds[:, i].std() > 0 else 0. for i in range(targs.shape[1])]
        return float(np.mean(np.nan_to_num(rs)))
    if task == 'tokens':
        from seqeval.metrics import f1_score as entity_f1
        golds, guesses = [], []
        for p, t in zip(preds.argmax(-1), targs):
            m = t >= 0 # the first sub-token of each word
            golds.append([vocab[i] for i in t[m]]); guesses.append([vocab[i] for i in p[m]])
        return float(entity_f1(golds, guesses))
    raise ValueError(task)

def run_trainer(task, a, on, train, valid, xcols, ycol, lr, ckpt, tok):
    "Train with HF `Trainer` at `lr`; (metric, seconds)"
    import numpy as np, datasets, torch
    from transformers import (AutoModelForSequenceClassification, AutoModelForTokenClassification, DataCollatorWithPadding,
                              DataCollatorForTokenClassification, Trainer, TrainingArguments, set_seed)
    set_seed(a.seed)
    if task == 'tokens':
        vocab = sorted({t for ts in train[ycol] for t in ts} | {t for ts in valid[ycol] for t in ts})
        tid = {t: i for i, t in enumerate(vocab)}
        def enc(b):
            e = tok(b['tokens'], is_split_into_words=True, truncation=True, max_length=a.max_length)
            e['labels'] = []
            for i, tags in enumerate(b['tags']):
                prev, lab = None, []
                for w in e.word_ids(i):
                    lab.append(-100 if w is None or w == prev else tid[tags[w]]); prev = w
                e['labels'].append(lab)
            return e
        ds = lambda d: datasets.Dataset.from_dict({'tokens': list(map(list, d.tokens)), 'tags': list(map(list, d.tags))}).map(enc, batched=True, remove_columns=['tokens', 'tags'])
        model = AutoModelForTokenClassification.from_pretrained(ckpt, num_labels=len(vocab), id2label=dict(enumerate(vocab)), label2id=tid)
        collator = DataCollatorForTokenClassification(tok)
    else:
        vocab = None
        if task in ('single', 'pair'):
            classes = sorted(set(train[ycol])); cid = {c: i for i, c in enumerate(classes)}
            labels = lambda d: [cid[v] for v in d[ycol]]
            kw = dict(num_labels=len(classes))
        elif task == 'multi': labels, kw = lambda d: d[ycol].values.astype(np.float32).tolist(), dict(num_labels=len(ycol), problem_type='multi_label_classification')
        else: labels, kw = lambda d: d[ycol].values.astype(np.float32).tolist(), dict(num_labels=len(ycol), problem_type='regression')
        def ds(d):
            cols = {f'x{i}': d[c].astype(str).tolist() for i, c in enumerate(xcols)}
            return datasets.Dataset.from_dict(dict(cols, labels=labels(d))).map(
                lambda b: tok(*[b[f'x{i}'] for i in range(len(xcols))], truncation=True, max_length=a.max_length), batched=True, remove_columns=list(cols))
        model = AutoModelForSequenceClassification.from_pretrained(ckpt, **kw)
        collator = DataCollatorWithPadding(tok)
    tr, dv = ds(train), ds(valid)
    args = TrainingArguments(output_dir=tempfile.mkdtemp(), per_device_train_batch_size=a.bs, per_device_eval_batch_size=64,
                             num_train_epochs=a.epochs, learning_rate=lr, warmup_steps=0.1, lr_scheduler_type='linear', weight_decay=0.01,
                             seed=a.seed, report_to=[], save_strategy='no', logging_strategy='no', eval_strategy='no', use_cpu=on.type == 'cpu',
                             disable_tqdm=True, train_sampling_strategy='group_by_length')
    trainer = Trainer(model=model, args=args, train_dataset=tr, data_collator=collator)
    t0 = time.perf_counter(); trainer.train(); secs = time.perf_counter() - t0
    out = trainer.predict(dv)
    return score(task, out.predictions, out.label_ids, vocab), secs

def fasthf_learner(task, a, train, valid, xcols, ycol, ckpt):
    "The one-liner of `task` on `train` + `valid` (a column `is_valid`), unfrozen"
    import pandas as pd
    from fasthf.all import SequenceClassificationLearner, SentencePairLearner, TokenClassificationLearner
    df = pd.concat([train.assign(is_valid=False), valid.assign(is_valid=True)], ignore_index=True)
    kw = dict(valid_col='is_valid', bs=a.bs, max_length=a.max_length, seed=a.seed, freeze=False)
    if task == 'tokens': # every tag in the vocabulary (a small training split may miss one), in the Trainer side's order
        vocab = sorted({t for ts in df.tags for t in ts})
        return TokenClassificationLearner.from_df(df, ckpt, words_col='tokens', tags_col='tags', vocab=vocab, **kw)
    cls = SentencePairLearner if task == 'pair' else SequenceClassificationLearner
    return cls.from_df(df, ckpt, text_cols=xcols if len(xcols) > 1 else xcols[0], label_col=ycol, **kw)

def fasthf_lr(task)->float:
    "fasthf's default learning rate for `task`: its `HFTask.lr`"
    from fasthf.all import TokenClassification, SingleLabelClassification, MultiLabelClassification, Regression
    return {'tokens': TokenClassification, 'multi': MultiLabelClassification, 'regression': Regression}.get(task, SingleLabelClassification).lr

def run_fasthf(task, a, on, train, valid, xcols, ycol, lr, ckpt):
    "Train with fasthf's one-liner and `fit_one_cycle` at `lr` (None: the task's default); (metric, seconds, lr used)"
    import contextlib, io
    with contextlib.redirect_stdout(io.StringIO()): learn = fasthf_learner(task, a, train, valid, xcols, ycol, ckpt)
    learn.dls.to(on); learn.model.to(on)
    lr = lr if lr is not None else learn.lr
    if a.keep_last: learn.dls.train.drop_last = False # an ablation: every training row in every epoch
    if a.opt_func == 'adam': # an ablation: fastai's own Adam, its Python step
        from fastai.optimizer import Adam; learn.opt_func = Adam
    elif a.opt_func == 'torch': # an ablation: torch's AdamW with its defaults (what Trainer uses), through fastai's `OptimWrapper`
        import torch
        from fastai.optimizer import OptimWrapper
        learn.opt_func = lambda ps, lr: OptimWrapper(ps, torch.optim.AdamW, lr=lr, weight_decay=0.01)
    if a.opt: # an ablation: the optimizer's hyper-parameters changed
        from functools import partial
        learn.opt_func = partial(learn.opt_func, **{k: float(v) for k, v in (o.split('=') for o in a.opt)}); learn.opt = None
    if a.no_clip: # an ablation: fasthf before it clipped gradients
        from fastai.callback.training import GradientClip
        learn.remove_cbs([cb for cb in learn.cbs if isinstance(cb, GradientClip)])
    if a.no_head_init and task == 'regression': # an ablation: the regression head's bias where transformers puts it (0)
        import torch
        with torch.no_grad(): learn.model.classifier.bias.zero_()
    if a.clip: # an ablation: Trainer's `max_grad_norm`
        from fastai.callback.training import GradientClip
        learn.add_cb(GradientClip(a.clip))
    t0 = time.perf_counter()
    with learn.no_bar(), learn.no_logging():
        if a.sched == 'linear': # an ablation: Trainer's schedule (10% linear warm-up, linear decay to 0), fastai's constant momentum
            from fastai.callback.schedule import ParamScheduler, combine_scheds, SchedLin
            learn.fit(a.epochs, lr, cbs=ParamScheduler({'lr': combine_scheds([0.1, 0.9], [SchedLin(0., lr), SchedLin(lr, 0.)])}))
        else: learn.fit_one_cycle(a.epochs, lr, **({'moms': tuple(a.moms)} if a.moms else {}), **({'pct_start': a.pct_start} if a.pct_start else {}))
    secs = time.perf_counter() - t0
    with learn.no_bar(): p, t = learn.get_preds(act=lambda o: o) # raw outputs, as `Trainer.predict` gives them
    vocab = [str(v) for v in learn.dls.vocab] if task == 'tokens' else None
    if task in ('single', 'pair'): # the class order of the Trainer side: sorted labels
        classes = sorted(set(train[ycol])); t = [classes.index(learn.dls.vocab[int(i)]) for i in t]
        import numpy as np; p = p[:, [list(learn.dls.vocab).index(c) for c in classes]].numpy(); t = np.array(t)
        return score(task, p, t), secs, lr
    return score(task, p.numpy(), t.numpy(), vocab), secs, lr

def run_lr_find(task, a, on, train, valid, xcols, ycol, ckpt):
    "fastai's `lr_find` suggestions on fasthf's learner of `task`, unfrozen (what `fasthf train --lr auto` reads: the valley)"
    import contextlib, io
    from fastai.callback.schedule import valley, slide, minimum, steep
    with contextlib.redirect_stdout(io.StringIO()): learn = fasthf_learner(task, a, train, valid, xcols, ycol, ckpt)
    learn.dls.to(on); learn.model.to(on)
    with learn.no_bar(), learn.no_logging(): s = learn.lr_find(suggest_funcs=(valley, slide, minimum, steep), show_plot=False)
    return {k: float(v) for k, v in s._asdict().items()}

def arg_parser():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--quick', action='store_true', help='32 training / 16 validation rows, one epoch, one rate (a smoke run of every task)')
    p.add_argument('--tasks', nargs='+', default=list(TASKS), choices=TASKS)
    p.add_argument('--lrs', type=float, nargs='+', default=[3e-5, 1e-4, 3e-4], help='the learning-rate grid, the same on both sides (default: this, or the task\'s in GRIDS)')
    p.add_argument('--epochs', type=int, default=None, help='epochs of every task (default: 3, and EPOCHS for the tasks it lists)')
    p.add_argument('--bs', type=int, default=16)
    p.add_argument('--max-length', type=int, default=64)
    p.add_argument('--n-train', type=int, default=640)
    p.add_argument('--n-valid', type=int, default=200)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--sides', nargs='+', default=['trainer', 'fasthf'], choices=['trainer', 'fasthf'])
    p.add_argument('--no-defaults', action='store_true', help="only the grid, not each side's default")
    p.add_argument('--glue', default=str(GLUE), help='folder of the GLUE TSVs (MRPC), used where present')
    p.add_argument('--y-scale', type=float, default=1., help='regression: the scores multiplied by this (5: an STS-B-like 0..5 scale)')
    p.add_argument('--opt', nargs='+', default=[], help="fasthf: the optimizer's hyper-parameters changed, e.g. eps=1e-8 sqr_mom=0.999 (an ablation)")
    p.add_argument('--moms', type=float, nargs=3, default=None, help="fasthf: one-cycle momentums, e.g. 0.9 0.9 0.9 (an ablation)")
    p.add_argument('--sched', default='one_cycle', choices=['one_cycle', 'linear'], help="fasthf: linear is Trainer's warm-up and decay (an ablation)")
    p.add_argument('--pct-start', type=float, default=None, help="fasthf: `fit_one_cycle`'s warm-up share (an ablation)")
    p.add_argument('--clip', type=float, default=None, help="fasthf: clip the gradients' norm to this, as Trainer's max_grad_norm=1 (an ablation)")
    p.add_argument('--opt-func', default='fused', choices=['fused', 'adam', 'torch'], help="fasthf's optimizer: FusedAdam (default), fastai's Adam, torch's AdamW (an ablation)")
    p.add_argument('--keep-last', action='store_true', help="fasthf: keep the last short training batch, as Trainer does (an ablation)")
    p.add_argument('--lr-find', action='store_true', help="instead of training: fastai's `lr_find` suggestions on each task's fasthf learner")
    p.add_argument('--no-clip', action='store_true', help="fasthf: no gradient clipping (an ablation: before fasthf clipped)")
    p.add_argument('--no-head-init', action='store_true', help="fasthf: the regression head's bias at 0, as transformers initialises it (an ablation)")
    p.add_argument('--name', default='accuracy', help='name of the JSON result')
    add_device(p)
    return p

def main(argv=None):
    a = arg_parser().parse_args(argv)
    a.lrs_given = '--lrs' in (argv if argv is not None else sys.argv)
    a.epochs_given = a.epochs
    quiet()
    on = device(a)
    if a.quick: a.n_train, a.n_valid, a.epochs_given, a.lrs, a.lrs_given, a.max_length = 32, 16, 1, a.lrs[-1:], True, 32
    from transformers import AutoTokenizer
    from fasthf.assets import minilm_path
    ckpt = str(minilm_path()); tok = AutoTokenizer.from_pretrained(ckpt)
    rows, finds = [], {}
    for task in a.tasks:
        if a.lr_find:
            finds[task] = run_lr_find(task, a, on, *task_data(task, a.n_train, a.n_valid, a.glue, a.y_scale), ckpt); print(task, finds[task], flush=True)
            continue
        train, valid, xcols, ycol = task_data(task, a.n_train, a.n_valid, a.glue, a.y_scale)
        lrs = a.lrs if a.lrs_given else GRIDS.get(task, a.lrs)
        a.epochs = a.epochs_given if a.epochs_given is not None else EPOCHS.get(task, 3)
        runs = [(lr, False) for lr in lrs] + ([] if a.no_defaults else [(None, True)])
        for side in a.sides:
            for lr, is_default in runs:
                if side == 'trainer':
                    lr_used = TRAINER_DEFAULT_LR if is_default else lr
                    if is_default and lr_used in lrs: continue # the grid has it
                    m, secs = run_trainer(task, a, on, train, valid, xcols, ycol, lr_used, ckpt, tok)
                else:
                    if is_default and (dup := next((r for r in rows if r['task'] == task and r['side'] == side and r['lr'] == fasthf_lr(task)), None)):
                        dup['default'] = True; continue # the grid has it (the same seed gives the same run)
                    m, secs, lr_used = run_fasthf(task, a, on, train, valid, xcols, ycol, lr, ckpt)
                r = dict(task=task, side=side, epochs=a.epochs, lr=float(lr_used), default=is_default, metric=round(m, 4), seconds=round(secs, 1))
                rows.append(r); print(r, flush=True)
    if a.lr_find:
        table([dict(task=t, **{k: f'{v:.1e}' for k, v in f.items()}) for t, f in finds.items()], ['task', 'valley', 'slide', 'minimum', 'steep'])
        return report(a.name, dict(lr_find=finds, n_train=a.n_train, bs=a.bs, max_length=a.max_length), on)
    summary = []
    for task in a.tasks:
        s = dict(task=task)
        for side in a.sides:
            rs = [r for r in rows if r['task'] == task and r['side'] == side]
            if not rs: continue
            best = max(rs, key=lambda r: r['metric'])
            dflt = next((r for r in rs if r['default']), None) or next((r for r in rs if side == 'trainer' and r['lr'] == TRAINER_DEFAULT_LR), None)
            s[f'{side}_best'], s[f'{side}_best_lr'] = best['metric'], best['lr']
            if dflt: s[f'{side}_default'], s[f'{side}_default_lr'] = dflt['metric'], dflt['lr']
            s[f'{side}_seconds'] = round(sum(r['seconds'] for r in rs) / len(rs), 1)
        if 'trainer_best' in s and 'fasthf_default' in s: s['default_minus_trainer_best'] = round(s['fasthf_default'] - s['trainer_best'], 4)
        if 'trainer_best' in s and 'fasthf_best' in s: s['best_minus_trainer_best'] = round(s['fasthf_best'] - s['trainer_best'], 4)
        if s.get('trainer_seconds') and s.get('fasthf_seconds'): s['time_ratio'] = round(s['fasthf_seconds'] / s['trainer_seconds'], 2)
        summary.append(s)
    cols = ['task', 'trainer_best', 'trainer_best_lr', 'trainer_default', 'fasthf_best', 'fasthf_best_lr', 'fasthf_default', 'fasthf_default_lr',
            'default_minus_trainer_best', 'trainer_seconds', 'fasthf_seconds', 'time_ratio']
    table(summary, [c for c in cols if any(c in s for s in summary)])
    report(a.name, dict(epochs={t: a.epochs_given or EPOCHS.get(t, 3) for t in a.tasks}, bs=a.bs, max_length=a.max_length, n_train=a.n_train, n_valid=a.n_valid, seed=a.seed, lrs=a.lrs,
                        quick=a.quick, runs=rows, summary=summary), on)

if __name__ == '__main__': main()

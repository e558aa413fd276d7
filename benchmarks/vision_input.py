"""Vision input pipeline: images/s from files to normalized batches, fasthf's transforms (resize/crop per item,
to-float and normalization per batch) vs the image processor applied per batch of PIL images through
`datasets.with_transform` and a torch DataLoader (the seed's ViT walkthrough with HF `Trainer`). Same images, the
processor of ViT-base (224x224, bilinear, mean/std 0.5), batch size 32; without worker processes (Trainer's default)
and with 2 on each side. Target >= 1.5x. `--rounds` rounds, the side that goes first alternating; reported: the median
images/s of each side with its range, and the median of the rounds' ratios.

python benchmarks/vision_input.py [--quick] [--n 1024] [--rounds 5] [--device cuda]"""
import argparse, sys, tempfile
from pathlib import Path
sys.path.insert(0, str(Path(__file__).parent))
from _common import Timer, add_device, device, quiet, report, table

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--quick', action='store_true', help='64 images (a smoke run)')
    p.add_argument('--n', type=int, default=1024)
    p.add_argument('--rounds', type=int, default=5, help='rounds of both sides, the first side alternating')
    add_device(p)
    a = p.parse_args(argv)
    quiet()
    dev = device(a)
    import numpy as np, torch, datasets
    from PIL import Image
    from transformers import ViTImageProcessor
    from fastai.data.all import DataBlock, CategoryBlock, parent_label, RandomSplitter, L
    from fasthf.all import HFImageBlock
    from fasthf.testing import tiny_images
    n = 64 if a.quick else a.n
    d = Path(tempfile.mkdtemp())
    files = []
    for i, (im, lab) in enumerate(tiny_images(n, size=(240, 320))):
        (d/lab).mkdir(exist_ok=True)
        f = d/lab/f'{i:05d}.jpg'; im.save(f, quality=90); files.append(f)
    proc = ViTImageProcessor() # ViT-base: 224x224, bilinear, mean/std 0.5
    rows, res = [], dict(n=n, image_size='320x240 JPEG -> 224x224', quick=a.quick)
    ds = datasets.Dataset.from_dict({'image': [str(f) for f in files], 'label': [f.parent.name for f in files]}).cast_column('image', datasets.Image())
    ds = ds.with_transform(_ProcessBatch(proc))
    dls = DataBlock(blocks=(HFImageBlock(proc), CategoryBlock), get_y=parent_label, splitter=RandomSplitter(0.5, seed=0)).dataloaders(L(files), bs=32, device=dev)
    proc([Image.open(files[0]).convert('RGB')], return_tensors='pt'); dls.test_dl(L(files[:32]), num_workers=0).one_batch() # first-call costs
    def run_hf(nw): # HF: processor per batch of PIL images, through datasets.with_transform and a torch DataLoader
        dl = torch.utils.data.DataLoader(ds, batch_size=32, num_workers=nw, collate_fn=_stack)
        with Timer() as t:
            for xb in dl: shape = xb.to(dev).shape # on the device, as fasthf's batches are
        return t.s, shape
    def run_fasthf(nw): # fasthf: HFImageBlock (JPEG decoded to bytes, per-item resize, per-batch float + normalize)
        tdl = dls.test_dl(L(files), num_workers=nw)
        with Timer() as t:
            for (xb,) in tdl: shape = xb.shape
            if dev.type == 'cuda': torch.cuda.synchronize()
        return t.s, shape
    rounds = 1 if a.quick else a.rounds
    res['rounds'] = rounds
    for nw in (0, 2): # Trainer's default (dataloader_num_workers=0), then 2 worker processes on each side
        times = {run_hf: [], run_fasthf: []}
        for r in range(rounds):
            shapes = {}
            for run in (run_hf, run_fasthf)[::1 if r % 2 == 0 else -1]: # the side that goes first alternates
                s, shapes[run] = run(nw); times[run].append(s)
            assert shapes[run_fasthf][1:] == shapes[run_hf][1:], shapes
        th, tf = times[run_hf], times[run_fasthf]
        med = lambda v: float(np.median(v))
        ratios = [h/f for h, f in zip(th, tf)]
        ph, pf = [n/s for s in th], [n/s for s in tf]
        rows.append(dict(workers=nw, processor_per_s=f'{med(ph):.0f} ({min(ph):.0f}-{max(ph):.0f})',
                         fasthf_per_s=f'{med(pf):.0f} ({min(pf):.0f}-{max(pf):.0f})', ratio=f'{med(ratios):.2f}x ({min(ratios):.2f}-{max(ratios):.2f})'))
        res.update({f'processor_per_s_w{nw}': med(ph), f'fasthf_per_s_w{nw}': med(pf), f'ratio_w{nw}': med(ratios),
                    f'processor_per_s_w{nw}_range': [min(ph), max(ph)], f'fasthf_per_s_w{nw}_range': [min(pf), max(pf)],
                    f'ratio_w{nw}_range': [min(ratios), max(ratios)]})
    table(rows, ['workers', 'processor_per_s', 'fasthf_per_s', 'ratio'])
    # the headline numbers: no worker processes on either side (Trainer's default)
    res.update(processor_per_s=res['processor_per_s_w0'], fasthf_per_s=res['fasthf_per_s_w0'], ratio=res['ratio_w0'])
    print(f"fasthf / processor (median of {rounds} rounds): {res['ratio_w0']:.2f}x without workers, {res['ratio_w2']:.2f}x with 2 (target >= 1.5)")
    return report('vision_input', res, dev=dev)

class _ProcessBatch:
    "The `with_transform` function of the HF side (a class, so that worker processes can pickle it)"
    def __init__(self, proc): self.proc = proc
    def __call__(self, b): return {'pixel_values': self.proc([im.convert('RGB') for im in b['image']], return_tensors='pt')['pixel_values']}

def _stack(b):
    import torch
    return torch.stack([o['pixel_values'] for o in b])

if __name__ == '__main__': main()

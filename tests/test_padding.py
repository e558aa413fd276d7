"""Length-bucketed training batches on MRPC (batch size 32, the MiniLM tokenizer): pad fraction <= 5%,
against about a third for random order; one epoch is a permutation of the rows."""
from pathlib import Path
import numpy as np, pandas as pd, pytest
from fastai.basics import DataBlock, ColReader, CategoryBlock, RandomSplitter
from fasthf.all import HFTextBlock
from fasthf.assets import glue_tsv
from fasthf.assets import minilm_path

MRPC = Path(__file__).resolve().parents[2]/'shared'/'data'/'glue'/'MRPC'/'train.tsv'

def mrpc(): return glue_tsv(MRPC)

@pytest.mark.skipif(not MRPC.exists(), reason='needs ../shared/data/glue/MRPC')
def test_mrpc_pad_fraction():
    df = mrpc()
    assert len(df) > 3000
    dls = DataBlock(blocks=(HFTextBlock(minilm_path(), max_length=128), CategoryBlock), get_x=ColReader(['sentence1', 'sentence2']),
                    get_y=ColReader('label'), splitter=RandomSplitter(0.1, seed=0)).dataloaders(df, bs=32)
    dl = dls.train
    fasthf = [dl.pad_fraction() for _ in range(3)]
    rng = np.random.default_rng(0)
    rand = dl.pad_fraction(rng.permutation(len(dl.dataset)))
    print(f'pad fraction: fasthf {np.mean(fasthf):.4f}, random order {rand:.4f}')
    assert max(fasthf) <= 0.05
    assert rand > 0.2
    # the batches fastai actually makes: tokens in each batch match the measured lengths
    for i, (x, y) in enumerate(dl):
        if i == 3: break
        assert x.shape[-1] == int(x[:, 1].sum(1).max())
    # an epoch is a permutation of the rows (nothing duplicated, nothing lost), and epochs differ
    e1, e2 = list(dl.get_idxs()), list(dl.get_idxs())
    n = len(dl.dataset)
    assert sorted(e1) == list(range(n))
    # fastai drops the last partial training batch (drop_last): every other row comes exactly once
    seen = [int(i) for b in dl.chunkify(e1) for i in b]
    assert len(seen) == len(set(seen)) == n - n % dl.bs
    assert e1 != e2

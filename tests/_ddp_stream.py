"Run under `torchrun --nproc_per_node 2`: train a tiny BERT on a stream of rows and write which rows each rank trained on; then a stream that each process reads in its own order, which the fit must refuse"
import hashlib, json, random, sys, warnings
warnings.filterwarnings('ignore')
from pathlib import Path
import pandas as pd
from fastai.callback.core import Callback
from fastai.distributed import rank_distrib, num_distrib
from fasthf.all import SequenceClassificationLearner
from fasthf.callback import hf_inputs
from fasthf.testing import tiny_text_checkpoint, tiny_corpus

out, ckpt = Path(sys.argv[1]), tiny_text_checkpoint('bert')
s = tiny_corpus(400, seed=11)
rows = [dict(text=t, label='pos' if ('good' in t or 'love' in t or 'great' in t) else 'neg') for t in s]
train, valid = rows[:320], pd.DataFrame(rows[320:])

class Seen(Callback):
    "The training rows of each epoch, as their ids (the text decoded back from the batch)"
    def before_fit(self): self.epochs, self.tok = [], self.learn.tokenizer
    def before_epoch(self): self.epochs.append([])
    def before_batch(self):
        if self.training: self.epochs[-1] += self.tok.batch_decode(hf_inputs(self.xb[0])['input_ids'], skip_special_tokens=True)

class OwnOrder:
    "The rows in an order of each process's own: their shares would overlap"
    def __init__(self, rows): self.rows = rows
    def __len__(self): return len(self.rows)
    def __iter__(self):
        r = list(self.rows); random.Random(rank_distrib()).shuffle(r); return iter(r)

rank, world = rank_distrib(), max(num_distrib(), 1)
learn = SequenceClassificationLearner.from_stream(train, valid, ckpt, bs=16, max_length=32, freeze=False, seed=0)
seen = Seen()
with learn.no_bar(), learn.distrib_ctx():
    n_batches = len(learn.dls.train)
    learn.fit_one_cycle(2, 3e-3, cbs=seen)
ids = {t: i for i, t in enumerate(learn.tokenizer.batch_decode(learn.tokenizer([r['text'] for r in train])['input_ids'], skip_special_tokens=True))}
res = dict(rank=rank, world=world, n_batches=n_batches, epochs=[[ids[t] for t in e] for e in seen.epochs],
           values=[[float(v) for v in r] for r in learn.recorder.values],
           weights=hashlib.md5(b''.join(p.detach().numpy().tobytes() for p in learn.model.parameters())).hexdigest())
bad = SequenceClassificationLearner.from_stream(OwnOrder(train), valid, ckpt, bs=16, max_length=32, freeze=False, seed=0)
try:
    with bad.no_bar(), bad.distrib_ctx(): bad.fit(1, 1e-3)
    res['own_order'] = None
except ValueError as e: res['own_order'] = str(e)
(out/f'rank{rank}-of-{world}.json').write_text(json.dumps(res))

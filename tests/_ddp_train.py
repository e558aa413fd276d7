"Run under `torchrun --nproc_per_node 2` (or alone, for the single-process reference): train a tiny BERT and write what each rank saw"
import hashlib, json, sys, warnings
warnings.filterwarnings('ignore')
from pathlib import Path
import pandas as pd
from fastai.distributed import rank_distrib, num_distrib
from fasthf.all import SequenceClassificationLearner
from fasthf.testing import tiny_text_checkpoint, tiny_corpus

out, bs = Path(sys.argv[1]), int(sys.argv[2])
s = tiny_corpus(640, seed=11)
df = pd.DataFrame({'text': s, 'label': ['pos' if ('good' in t or 'love' in t or 'great' in t) else 'neg' for t in s]})
learn = SequenceClassificationLearner.from_df(df, tiny_text_checkpoint('bert'), bs=bs, max_length=32, freeze=False, seed=0)
learn.path = out
with learn.no_bar(), learn.distrib_ctx():
    learn.fit_one_cycle(4, 3e-3)
values = [[float(v) for v in r] for r in learn.recorder.values] # before `validate` resets the recorder
rank, world = rank_distrib(), max(num_distrib(), 1)
with learn.no_bar(): loss, acc = learn.validate() # full validation set, this process alone
digest = hashlib.md5(b''.join(p.detach().numpy().tobytes() for p in learn.model.parameters())).hexdigest()
res = dict(rank=rank, world=world, values=values, validate=[float(loss), float(acc)],
           weights=digest)
if rank == 0:
    learn.save_pretrained(out/'hf')
    (out/'saved_by').open('a').write(f'{rank}\n')
(out/f'rank{rank}-of-{world}.json').write_text(json.dumps(res))

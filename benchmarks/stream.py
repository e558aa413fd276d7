"""Training data that do not fit in memory, text: one epoch of training batches read from a JSONL file of SST-2
sentences (repeated past its 67,349 rows) through `datasets.load_dataset('json', streaming=True)`, no model step.
fasthf: `SequenceClassificationLearner.from_stream` (`HFStreamDL`: shuffle buffer, then length buckets inside it,
tokenized per batch); anchor: the Hugging Face streaming recipe, `IterableDataset.shuffle(buffer_size)`,
`.map(tokenize, batched=True)` and a torch `DataLoader` with `DataCollatorWithPadding` (`Trainer` cannot group an
`IterableDataset` by length). Same buffer (50 batches of 32), max length 128. Each side and size in its own process:
rows/s, the share of pad tokens in the batches (what a training step pays for), and peak memory above the process's
memory before the epoch (issue #21 item 9: memory must not grow with the rows).

python benchmarks/stream.py [--quick] [--sizes 100000 1000000] [--data ../shared/data/glue/SST-2/train.tsv]"""
import argparse, json, os, resource, subprocess, sys, tempfile, time
import pandas as pd
from pathlib import Path
sys.path.insert(0, str(Path(__file__).parent))
from _common import GLUE, quiet, report, table
from dls_build import _frame, _rss_mb

def one(side, path, n, bs=32, buffer=1600):
    "One epoch in this process; print a JSON line with seconds, pad share and peak extra MB"
    quiet()
    os.environ.pop('TOKENIZERS_PARALLELISM', None)
    import datasets, torch
    from transformers import AutoTokenizer, DataCollatorWithPadding
    from fasthf.all import SequenceClassificationLearner
    from fasthf.assets import minilm_path
    stream = datasets.load_dataset('json', data_files=str(path), split='train', streaming=True)
    tok = AutoTokenizer.from_pretrained(str(minilm_path()))
    if side == 'fasthf':
        valid = [dict(sentence=s, label=l) for s, l in [('a good film', 1), ('a dull film', 0)] * 8]
        learn = SequenceClassificationLearner.from_stream(stream, valid, minilm_path(), text_cols='sentence', n_train=n, bs=bs,
                                                          max_length=128, buffer_size=buffer)
        dl, masks = learn.dls.train, lambda b: b[0].model_inputs()['attention_mask']
    else:
        ds = stream.shuffle(seed=0, buffer_size=buffer).map(lambda b: tok(b['sentence'], truncation=True, max_length=128), batched=True,
                                                            remove_columns=['sentence'])
        dl, masks = torch.utils.data.DataLoader(ds, batch_size=bs, collate_fn=DataCollatorWithPadding(tok)), lambda b: b['attention_mask']
    r0 = _rss_mb()
    t, rows, real, tot = time.perf_counter(), 0, 0, 0
    for b in dl:
        m = masks(b); rows += m.shape[0]; real += int(m.sum()); tot += m.numel()
    s = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - r0
    print(json.dumps(dict(side=side, n=n, rows=rows, s=s, pad=1 - real/tot, peak_extra_mb=peak)))

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--quick', action='store_true', help='2,000 rows (a smoke run)')
    p.add_argument('--sizes', type=int, nargs='+', default=[100000, 1000000])
    p.add_argument('--data', default=str(GLUE/'SST-2'/'train.tsv'))
    p.add_argument('--one', nargs=3, metavar=('SIDE', 'PATH', 'N'), help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.one: return one(a.one[0], a.one[1], int(a.one[2]))
    sizes = [2000] if a.quick else a.sizes
    res = []
    with tempfile.TemporaryDirectory() as d:
        for n in sizes:
            path = Path(d)/f'rows{n}.jsonl'
            df = _frame(n, a.data)[['sentence', 'label']]
            df['label'] = pd.factorize(df['label'], sort=True)[0] # ints on both sides (Rotten Tomatoes, the offline fallback, has names)
            df.to_json(path, orient='records', lines=True)
            for side in ('datasets streaming', 'fasthf'):
                r = subprocess.run([sys.executable, __file__, '--one', side, str(path), str(n)], capture_output=True, text=True,
                                   env={**os.environ, 'HF_HUB_OFFLINE': '1', 'HF_DATASETS_OFFLINE': '1'})
                if r.returncode: sys.exit(f"{side} at {n} rows failed:\n{r.stderr[-3000:]}")
                res.append(json.loads(r.stdout.strip().splitlines()[-1]))
            path.unlink()
    by = {(r['side'], r['n']): r for r in res}
    rows = []
    for n in sizes:
        f, h = by[('fasthf', n)], by[('datasets streaming', n)]
        rows.append(dict(rows=f'{n:,}', anchor_rows_s=f"{h['rows']/h['s']:.0f}", fasthf_rows_s=f"{f['rows']/f['s']:.0f}",
                         ratio=f"{(f['rows']/f['s'])/(h['rows']/h['s']):.2f}x", anchor_pad=f"{h['pad']:.2f}", fasthf_pad=f"{f['pad']:.2f}",
                         anchor_mb=f"{h['peak_extra_mb']:.0f}", fasthf_mb=f"{f['peak_extra_mb']:.0f}"))
    table(rows, ['rows', 'anchor_rows_s', 'fasthf_rows_s', 'ratio', 'anchor_pad', 'fasthf_pad', 'anchor_mb', 'fasthf_mb'])
    return report('stream', dict(sizes=sizes, results=res, bs=32, buffer_size=1600, max_length=128, quick=a.quick,
                                 target='peak memory flat in the rows; less padding than the streaming anchor'))

if __name__ == '__main__': main()

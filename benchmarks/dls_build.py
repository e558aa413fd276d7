"""Cost as data grow, text: building the training set from a DataFrame of SST-2 sentences (repeated past its 67,349
rows), at 1k, 10k, 67k and 1M rows. fasthf: `SequenceClassificationLearner.from_df` (checks, split, token lengths for
length-bucketed batches, DataLoaders, model); anchor: what the Hugging Face docs do before `Trainer`:
`Dataset.from_pandas`, `map(tokenize, batched=True)`, `train_test_split`, the lengths `group_by_length` sorts by, and
the model. Each side and size runs in its own process: wall time and peak memory above the process's memory before
the build (the DataFrame already loaded). Targets: growth no worse than linear; 1M rows in <= 60 s and <= 2 GB.

python benchmarks/dls_build.py [--quick] [--sizes 1000 10000 67349 1000000] [--data ../shared/data/glue/SST-2/train.tsv]"""
import argparse, json, os, resource, subprocess, sys, time
from pathlib import Path
sys.path.insert(0, str(Path(__file__).parent))
from _common import GLUE, quiet, report, table

def _rss_mb()->float: return int(open('/proc/self/statm').read().split()[1]) * os.sysconf('SC_PAGE_SIZE') / 2**20

def _frame(n, data):
    import pandas as pd
    from fasthf.assets import glue_tsv, rotten_tomatoes
    df = glue_tsv(data)[['sentence', 'label']] if Path(data).exists() else rotten_tomatoes(seed=0).rename(columns={'text': 'sentence'})
    return pd.concat([df] * (n // len(df) + 1), ignore_index=True).iloc[:n].copy()

def one(side, n, data):
    "Build once in this process; print a JSON line with seconds and peak extra MB"
    quiet()
    os.environ.pop('TOKENIZERS_PARALLELISM', None) # as a user has it: the fast tokenizer encodes a batch on every core (both sides)
    import datasets
    from transformers import AutoModelForSequenceClassification, AutoTokenizer
    from fasthf.all import SequenceClassificationLearner
    from fasthf.assets import minilm_path
    df = _frame(n, data)
    r0 = _rss_mb() # libraries imported and the DataFrame read: what is counted is the build
    t = time.perf_counter()
    if side == 'fasthf':
        learn = SequenceClassificationLearner.from_df(df, minilm_path(), text_cols='sentence', max_length=128, bs=32)
    else:
        tok = AutoTokenizer.from_pretrained(str(minilm_path()))
        ds = datasets.Dataset.from_pandas(df, preserve_index=False)
        ds = ds.map(lambda b: tok(b['sentence'], truncation=True, max_length=128), batched=True, remove_columns=['sentence'])
        ds = ds.train_test_split(test_size=0.2, seed=42)
        lengths = [len(o) for o in ds['train']['input_ids']] # what `LengthGroupedSampler` measures when no length column is given
        AutoModelForSequenceClassification.from_pretrained(str(minilm_path()), num_labels=2)
    s = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - r0 # ru_maxrss is in kB on Linux
    pad = learn.dls.train.pad_fraction() if side == 'fasthf' else None # share of padding in an epoch of length-bucketed batches
    print(json.dumps(dict(side=side, n=n, s=s, peak_extra_mb=peak, pad=pad)))

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--quick', action='store_true', help='1,000 and 4,000 rows (a smoke run)')
    p.add_argument('--sizes', type=int, nargs='+', default=[1000, 10000, 67349, 1000000])
    p.add_argument('--data', default=str(GLUE/'SST-2'/'train.tsv'))
    p.add_argument('--one', nargs=2, metavar=('SIDE', 'N'), help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.one: return one(a.one[0], int(a.one[1]), a.data)
    sizes = [1000, 4000] if a.quick else a.sizes
    res = []
    for n in sizes:
        for side in ('datasets.map', 'fasthf'):
            r = subprocess.run([sys.executable, __file__, '--one', side, str(n), '--data', a.data], capture_output=True, text=True,
                               env={**os.environ, 'HF_HUB_OFFLINE': '1'})
            if r.returncode: sys.exit(f"{side} at {n} rows failed:\n{r.stderr[-3000:]}")
            res.append(json.loads(r.stdout.strip().splitlines()[-1]))
    by = {(r['side'], r['n']): r for r in res}
    rows = []
    for n in sizes:
        f, h = by[('fasthf', n)], by[('datasets.map', n)]
        rows.append(dict(rows=f'{n:,}', anchor_s=f"{h['s']:.2f}", fasthf_s=f"{f['s']:.2f}", ratio=f"{f['s']/h['s']:.2f}x",
                         us_per_row=f"{1e6*f['s']/n:.1f}", anchor_mb=f"{h['peak_extra_mb']:.0f}", fasthf_mb=f"{f['peak_extra_mb']:.0f}"))
    table(rows, ['rows', 'anchor_s', 'fasthf_s', 'ratio', 'us_per_row', 'anchor_mb', 'fasthf_mb'])
    big = by[('fasthf', sizes[-1])]
    # growth: time per row at the largest size over time per row at the second largest (1.0 = linear)
    growth = (big['s'] / sizes[-1]) / (by[('fasthf', sizes[-2])]['s'] / sizes[-2]) if len(sizes) > 1 else None
    print(f"fasthf at {sizes[-1]:,} rows: {big['s']:.1f} s (target <= 60 s for 1M), {big['peak_extra_mb']:.0f} MB above the start (target <= 2048); "
          f"time per row {growth:.2f}x that at {sizes[-2]:,} rows (1.0 = linear)")
    return report('dls_build', dict(sizes=sizes, results=res, growth_per_row=growth, quick=a.quick,
                                    target='1M rows <= 60 s and <= 2 GB; per-row time not growing'))

if __name__ == '__main__': main()

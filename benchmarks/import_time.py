"""Import time of `fasthf.all` vs `fastai.text.all`, each in fresh processes (alternating, median of the repeats).
Target: ratio <= 1.2.

python benchmarks/import_time.py [--quick] [--repeats 5]"""
import argparse, statistics, subprocess, sys, time
from pathlib import Path
sys.path.insert(0, str(Path(__file__).parent))
from _common import report, table

def timed_import(mod):
    code = f"import time; t = time.perf_counter(); import {mod}; print(time.perf_counter() - t)"
    r = subprocess.run([sys.executable, '-W', 'ignore', '-c', code], capture_output=True, text=True, check=True)
    return float(r.stdout.strip().splitlines()[-1])

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--quick', action='store_true', help='one repeat')
    p.add_argument('--repeats', type=int, default=5)
    a = p.parse_args(argv)
    n = 1 if a.quick else a.repeats
    mods = ['fastai.text.all', 'fasthf.all']
    times = {m: [] for m in mods}
    timed_import('fastai.text.all') # warm the file cache
    for _ in range(n):
        for m in mods: times[m].append(timed_import(m))
    med = {m: statistics.median(v) for m, v in times.items()}
    ratio = med['fasthf.all'] / med['fastai.text.all']
    table([dict(module=m, seconds=f'{med[m]:.2f}') for m in mods] + [dict(module='ratio (target <= 1.2)', seconds=f'{ratio:.2f}')], ['module', 'seconds'])
    return report('import_time', dict(seconds=med, ratio=ratio, repeats=n, quick=a.quick))

if __name__ == '__main__': main()

"""Smoke runs of the benchmark scripts (`--quick`), so they cannot rot: each must finish and end with its JSON line.
The numbers of a quick run mean nothing; the README's table comes from full runs."""
import json, os, subprocess, sys
from pathlib import Path
import pytest

BENCH = Path(__file__).parent.parent/'benchmarks'

@pytest.mark.parametrize('script', ['import_time.py', 'infer_text.py', 'train_text.py', 'lora.py', 'vision_input.py', 'optimizer.py', 'dls_build.py', 'compile.py', 'time_to_f1.py', 'stream.py', 'accuracy.py', 'regression_seeds.py', 'transfer.py'])
def test_benchmark_quick(script, tmp_path):
    r = subprocess.run([sys.executable, str(BENCH/script), '--quick'], capture_output=True, text=True, timeout=1200,
                       env={**os.environ, 'HF_HUB_OFFLINE': '1', 'FASTHF_BENCH_OUT': str(tmp_path)})
    assert r.returncode == 0, r.stderr[-3000:]
    res = json.loads(r.stdout.strip().splitlines()[-1])
    assert res['benchmark'] == script[:-3] and res['quick'] is True

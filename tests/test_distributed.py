"""Two processes on CPU (torchrun, gloo) through fastai's distributed support (DDP set up by Accelerate): both ranks
finish with identical weights, rank 0 saves once, validation metrics are gathered across ranks (equal to a
full-validation-set `validate` on one process), and the result matches a single-process run with the same
effective batch size (32 = 2 x 16) within 0.01 validation loss and 0.02 accuracy. A stream (`from_stream`) is split by
rank: each process trains on its own half of the rows, none twice, and a stream read in a different order by each
process is refused."""
import json, os, subprocess, sys
from pathlib import Path

HERE = Path(__file__).parent

def _run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, 'HF_HUB_OFFLINE': '1', 'OMP_NUM_THREADS': '1'}, timeout=900, **kw)
    assert r.returncode == 0, r.stderr[-3000:]
    return r

def test_two_processes_match_one(tmp_path, free_port):
    two, one = tmp_path/'two', tmp_path/'one'
    two.mkdir(); one.mkdir()
    _run([str(Path(sys.executable).parent/'torchrun'), '--nproc_per_node', '2', '--master_port', str(free_port), str(HERE/'_ddp_train.py'), str(two), '16'])
    _run([sys.executable, str(HERE/'_ddp_train.py'), str(one), '32'])
    r0, r1 = (json.loads((two/f'rank{r}-of-2.json').read_text()) for r in (0, 1))
    single = json.loads((one/'rank0-of-1.json').read_text())
    assert r0['weights'] == r1['weights'] # DDP kept the replicas in sync
    assert (two/'saved_by').read_text().split() == ['0'] and (two/'hf'/'model.safetensors').exists() # saved once, by rank 0
    assert r0['values'] == r1['values'] and len(r0['values']) == 4
    # the metrics recorded during the distributed fit were computed on predictions gathered from both ranks
    assert abs(r0['values'][-1][1] - r0['validate'][0]) < 1e-5 and abs(r0['values'][-1][2] - r0['validate'][1]) < 1e-6
    print(f"valid loss / accuracy: 2 processes {r0['values'][-1][1:]} vs 1 process {single['values'][-1][1:]}")
    assert abs(r0['values'][-1][1] - single['values'][-1][1]) < 0.01
    assert abs(r0['values'][-1][2] - single['values'][-1][2]) < 0.02

def test_stream_is_sharded_by_rank(tmp_path, free_port):
    "A stream under DDP: each process trains on its own half of the rows, in as many batches as the other, and ends with the same weights"
    _run([str(Path(sys.executable).parent/'torchrun'), '--nproc_per_node', '2', '--master_port', str(free_port), str(HERE/'_ddp_stream.py'), str(tmp_path)])
    r0, r1 = (json.loads((tmp_path/f'rank{r}-of-2.json').read_text()) for r in (0, 1))
    assert r0['n_batches'] == r1['n_batches'] == 10 # 320 rows: 160 for each process, 16 to a batch
    assert r0['weights'] == r1['weights'] and r0['values'] == r1['values'] and len(r0['values']) == 2
    for e0, e1 in zip(r0['epochs'], r1['epochs']):
        assert len(e0) == len(e1) == 160 and sorted(e0 + e1) == list(range(320)) # the two halves: every row once
    assert r0['epochs'][0] != r0['epochs'][1] # reshuffled each epoch
    for r in (r0, r1): assert 'gives each process its rows in a different order' in r['own_order'] and 'seed' in r['own_order']

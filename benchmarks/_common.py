"Shared helpers of the benchmark scripts: machine description, a table printer, and the one JSON line each script ends with"
import json, os, platform, time, warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GLUE = ROOT.parent/'shared'/'data'/'glue'

def quiet():
    "Silence library chatter so the tables stay readable"
    warnings.filterwarnings('ignore')
    os.environ.setdefault('HF_HUB_OFFLINE', '1'); os.environ.setdefault('TOKENIZERS_PARALLELISM', 'false')
    import transformers; transformers.logging.set_verbosity_error(); transformers.logging.disable_progress_bar()
    try:
        import datasets; datasets.logging.set_verbosity_error(); datasets.disable_progress_bars()
    except ImportError: pass

def cpu_name()->str:
    "The CPU's model name and the widest vector instructions torch uses on it (AVX2, AVX512...), with bf16 support where it has it"
    import torch
    name = platform.processor() or platform.machine()
    try:
        for line in Path('/proc/cpuinfo').read_text().splitlines():
            if line.startswith('model name'): name = line.split(':', 1)[1].strip(); break
    except OSError: pass
    from fasthf.training import cpu_has_bf16
    caps = [torch.backends.cpu.get_cpu_capability()] + (['BF16'] if cpu_has_bf16() else [])
    return f"{name} ({', '.join(caps)})"

def machine(dev=None, cpu:str|None=None)->str:
    "The machine (CPU model and vector instructions, cores: `cpu_name()` unless given), and the device the run used"
    import torch
    on_gpu = torch.cuda.is_available() and (dev is None or torch.device(dev).type == 'cuda')
    dev = torch.cuda.get_device_name(0) if on_gpu else f'CPU, {torch.get_num_threads()} threads'
    return f"{cpu or cpu_name()}, {os.cpu_count()} cores; {dev}; torch {torch.__version__}"

def add_device(p):
    "`--device` on a benchmark's parser: torch's default (the GPU where there is one), or any torch device name"
    p.add_argument('--device', default=None, help="torch device to run on, e.g. cpu, cuda, cuda:1 (default: cuda where available, else cpu)")

def device(a):
    "The torch device a benchmark runs on: `--device`, else the GPU where there is one"
    import torch
    return torch.device(a.device) if a.device else torch.device('cuda' if torch.cuda.is_available() else 'cpu')

def table(rows, cols):
    "Print `rows` (dicts) as an aligned text table"
    w = {c: max(len(c), *(len(f'{r.get(c, "")}') for r in rows)) for c in cols}
    print('  '.join(c.ljust(w[c]) for c in cols))
    for r in rows: print('  '.join(f'{r.get(c, "")}'.ljust(w[c]) for c in cols))

def report(name, res, dev=None):
    "The last line of every benchmark: one JSON object"
    cpu = cpu_name()
    res = dict(benchmark=name, machine=machine(dev, cpu), cpu=cpu, date=time.strftime('%Y-%m-%d'), **({'device': str(dev)} if dev is not None else {}), **res)
    print(json.dumps(res))
    out = Path(os.environ.get('FASTHF_BENCH_OUT', ROOT/'benchmarks'/'results')) # smoke runs write elsewhere
    out.mkdir(parents=True, exist_ok=True)
    (out/f'{name}.json').write_text(json.dumps(res, indent=2))
    return res

class Timer:
    def __enter__(self): self.t = time.perf_counter(); return self
    def __exit__(self, *a): self.s = time.perf_counter() - self.t

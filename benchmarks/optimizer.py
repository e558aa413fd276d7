"""Optimizer step, text: one step over the packaged MiniLM's parameters (22.7M weights in 105 tensors, random gradients)
with fastai's `Adam` (Python callbacks per parameter), fasthf's `FusedAdam` (fastai's `Adam` on torch's fused kernel,
the default of `hf_learner`), and torch's `AdamW(fused=True)` (what `Trainer` uses, `optim="adamw_torch_fused"`).
Reports ms per step and the ratios; also checks that `FusedAdam` gives fastai's weights (max difference after the steps).

python benchmarks/optimizer.py [--quick] [--steps 30] [--device cuda]"""
import argparse, sys, time
from pathlib import Path
sys.path.insert(0, str(Path(__file__).parent))
from _common import add_device, device, quiet, report, table

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--quick', action='store_true', help='3 steps each (a smoke run)')
    p.add_argument('--steps', type=int, default=30)
    add_device(p)
    a = p.parse_args(argv)
    quiet()
    dev = device(a)
    import torch
    from fastai.optimizer import Adam
    from transformers import AutoModelForSequenceClassification
    from fasthf.optimizer import FusedAdam
    from fasthf.assets import minilm_path
    steps = 3 if a.quick else a.steps
    def params():
        torch.manual_seed(0)
        m = AutoModelForSequenceClassification.from_pretrained(str(minilm_path()), num_labels=2).to(dev)
        ps = list(m.parameters())
        for q in ps: q.grad = torch.randn_like(q) * 1e-3
        return ps
    sync = torch.cuda.synchronize if dev.type == 'cuda' else (lambda: None) # a GPU step is asynchronous: time it finished
    ways = {'fastai Adam': lambda ps: Adam(ps, lr=1e-4), 'fasthf FusedAdam': lambda ps: FusedAdam(ps, lr=1e-4),
            'torch AdamW(fused=True)': lambda ps: torch.optim.AdamW(ps, lr=1e-4, betas=(0.9, 0.99), eps=1e-5, fused=True)}
    res, final = [], {}
    for name, make in ways.items():
        ps = params(); opt = make(ps)
        opt.step(); sync() # state allocated outside the timing
        t = time.perf_counter()
        for _ in range(steps): opt.step()
        sync()
        res.append(dict(way=name, ms_per_step=1000 * (time.perf_counter() - t) / steps))
        final[name] = ps
    diff = max((x - y).abs().max().item() for x, y in zip(final['fastai Adam'], final['fasthf FusedAdam']))
    table([{**r, 'ms_per_step': f"{r['ms_per_step']:.1f}"} for r in res], ['way', 'ms_per_step'])
    ms = {r['way']: r['ms_per_step'] for r in res}
    speedup, vs_torch = ms['fastai Adam'] / ms['fasthf FusedAdam'], ms['fasthf FusedAdam'] / ms['torch AdamW(fused=True)']
    print(f"FusedAdam: {speedup:.1f}x faster than fastai's Adam, {vs_torch:.2f}x torch's fused AdamW's time; weights differ from fastai's by {diff:.1e}")
    return report('optimizer', dict(steps=steps, n_params=sum(q.numel() for q in final['fastai Adam']), results=res,
                                    fused_over_fastai=speedup, fused_time_over_torch=vs_torch, max_weight_diff=diff, quick=a.quick), dev=dev)

if __name__ == '__main__': main()

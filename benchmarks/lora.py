"""LoRA cost: full fine-tuning vs LoRA (r=8, query/value, head trained whole) on a BERT-base-shaped model (random
weights from a config, 110M parameters) and on the packaged MiniLM: share of parameters trained, peak memory (peak
RSS of a separate process per variant, model load included), median step time (forward + backward + optimizer,
bs 16, 128 tokens), and the adapter file's size against the full model.safetensors; also LoRA with gradient checkpointing
(fasthf's `GradientCheckpointing` callback: activations recomputed in the backward pass instead of kept).
Targets: <= 1% trainable, adapter <= 2% of the model, peak memory <= 0.7x and step time <= 0.85x of full fine-tuning.

python benchmarks/lora.py [--quick] [--device cuda]"""
import argparse, json, os, resource, statistics, subprocess, sys, tempfile, time
from pathlib import Path
sys.path.insert(0, str(Path(__file__).parent))
from _common import add_device, device, quiet, report, table

def child(ckpt, mode, steps, bs, length, out, dev):
    "One variant in this process: train `steps` batches, write step times, peak memory (RSS; on a GPU also CUDA's), counts and file sizes"
    quiet()
    import pandas as pd, torch
    from fastai.callback.core import Callback
    from fasthf.all import SequenceClassificationLearner
    from fasthf.lora import LoRACallback
    from fasthf.training import GradientCheckpointing
    from fasthf.testing import WORDS
    rng = __import__('random').Random(0)
    df = pd.DataFrame({'text': [' '.join(rng.choice(WORDS) for _ in range(length)) for _ in range(bs*(steps+2))], 'label': ['a', 'b']*(bs*(steps+2)//2)})
    learn = SequenceClassificationLearner.from_df(df, ckpt, bs=bs, max_length=length, valid_pct=max(0.01, 2/len(df)), freeze=False,
                                                  cbs=([LoRACallback(r=8)] if mode.startswith('lora') else []) + ([GradientCheckpointing()] if mode.endswith('_gc') else []))
    learn.unfreeze()
    learn.dls.to(dev); learn.model.to(dev)
    cuda = torch.device(dev).type == 'cuda'
    if cuda: torch.cuda.reset_peak_memory_stats()
    times = []
    class StepTime(Callback):
        def before_batch(self): self.t = time.perf_counter()
        def after_batch(self):
            if cuda: torch.cuda.synchronize()
            if self.training: times.append(time.perf_counter() - self.t)
        def after_train(self): raise __import__('fastai').learner.CancelFitException()
    with learn.no_bar(), learn.no_logging(): learn.fit(1, 1e-4, cbs=StepTime())
    ps = list(learn.model.named_parameters())
    total = sum(p.numel() for n, p in ps if 'lora_' not in n and '.modules_to_save.' not in n)
    trained = sum(p.numel() for _, p in ps if p.requires_grad)
    res = dict(step_s=statistics.median(times[1:] or times), peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss/1024,
               trained=trained, total=total, **({'peak_cuda_mb': torch.cuda.max_memory_allocated()/2**20} if cuda else {}))
    if mode.startswith('lora'):
        a = learn.lora.save_adapter(Path(out).parent/'adapter')
        res['adapter_bytes'] = (a/'adapter_model.safetensors').stat().st_size
    Path(out).write_text(json.dumps(res))

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--quick', action='store_true', help='MiniLM only, 3 steps of 4 x 32 tokens (a smoke run)')
    p.add_argument('--child', nargs=7, help=argparse.SUPPRESS)
    add_device(p)
    a = p.parse_args(argv)
    if a.child:
        ckpt, mode, steps, bs, length, out, dev = a.child
        return child(ckpt, mode, int(steps), int(bs), int(length), out, dev)
    quiet()
    dev = device(a)
    from fasthf.assets import minilm_path
    from fasthf.testing import tiny_tokenizer
    steps, bs, length = (3, 4, 32) if a.quick else (8, 16, 128)
    models = {'MiniLM': str(minilm_path())}
    tmp = Path(tempfile.mkdtemp())
    if not a.quick:
        import torch
        from transformers import BertConfig, BertModel
        tok = tiny_tokenizer('minilm')
        torch.manual_seed(0)
        BertModel(BertConfig(vocab_size=len(tok))).save_pretrained(tmp/'bert-base'); tok.save_pretrained(tmp/'bert-base')
        models = {'BERT-base shape': str(tmp/'bert-base'), **models}
    rows, res = [], {}
    for name, ckpt in models.items():
        r = {}
        for mode in ('full', 'lora', 'lora_gc'):
            out = tmp/f'{name}-{mode}'/'res.json'; out.parent.mkdir(parents=True)
            subprocess.run([sys.executable, __file__, '--child', ckpt, mode, str(steps), str(bs), str(length), str(out), str(dev)], check=True,
                           env={**os.environ, 'HF_HUB_OFFLINE': '1'})
            r[mode] = json.loads(out.read_text())
        size = (Path(ckpt)/'model.safetensors').stat().st_size
        f, l, g = r['full'], r['lora'], r['lora_gc']
        mem = 'peak_cuda_mb' if 'peak_cuda_mb' in f else 'peak_rss_mb' # on a GPU the memory that limits is the GPU's
        for v in (f, l, g): v['peak_mb'] = v[mem]
        res[name] = dict(trainable_share=l['trained']/l['total'], adapter_share=l['adapter_bytes']/size, memory_ratio=l['peak_mb']/f['peak_mb'], memory=mem,
                         step_ratio=l['step_s']/f['step_s'], gc_memory_ratio=g['peak_mb']/f['peak_mb'], gc_step_ratio=g['step_s']/f['step_s'],
                         full=f, lora=l, lora_gc=g, model_bytes=size)
        for way, v in (('LoRA', l), ('LoRA + checkpointing', g)):
            rows.append(dict(model=name, way=way, trained=f"{v['trained']:,} of {v['total']:,} ({v['trained']/v['total']:.2%})",
                             adapter=f"{v['adapter_bytes']/1e6:.2f} MB ({v['adapter_bytes']/size:.2%})",
                             peak_mem=f"{f['peak_mb']:.0f} -> {v['peak_mb']:.0f} MB ({v['peak_mb']/f['peak_mb']:.2f}x)",
                             step=f"{f['step_s']*1e3:.0f} -> {v['step_s']*1e3:.0f} ms ({v['step_s']/f['step_s']:.2f}x)"))
    table(rows, ['model', 'way', 'trained', 'adapter', 'peak_mem', 'step'])
    print('targets: trained <= 1%, adapter <= 2%, peak memory <= 0.7x, step time <= 0.85x of full fine-tuning')
    return report('lora', dict(results=res, steps=steps, bs=bs, length=length, quick=a.quick), dev=dev)

if __name__ == '__main__': main()

"""Draw the README's benchmark chart from the JSON results: each measured ratio next to its target.

python benchmarks/chart.py  (writes benchmarks/results/ratios.png)"""
import json, sys
from pathlib import Path
import matplotlib; matplotlib.use('Agg')
import matplotlib.pyplot as plt

def main():
    res = Path(__file__).parent/'results'
    get = lambda n: json.loads((res/f'{n}.json').read_text())
    t, i, im, v, l = get('train_text'), get('infer_text'), get('import_time'), get('vision_input'), get('lora')
    lm = l['results'].get('BERT-base shape', next(iter(l['results'].values())))
    rows = [('training samples/s\nfasthf / Trainer\n(group_by_length)', t['fasthf_over_trainer'], 1.0, 'higher'),
            ('training samples/s\nfasthf / raw loop', t['fasthf_over_raw'], 0.97, 'higher'),
            ('inference sentences/s\nfasthf / pipeline', i['batched_ratio'], 2.0, 'higher'),
            ('vision images/s\nfasthf / processor', v['ratio'], 1.5, 'higher'),
            ('predict latency\nfasthf / pipeline', i['latency_ratio'], 1.0, 'lower'),
            ('import time\nfasthf / fastai.text', im['ratio'], 1.2, 'lower'),
            ('LoRA peak memory\n/ full (BERT-base)', lm['memory_ratio'], 0.7, 'lower'),
            ('LoRA step time\n/ full (BERT-base)', lm['step_ratio'], 0.7, 'lower')]
    if 'gc_memory_ratio' in lm: rows += [('LoRA + checkpointing\npeak memory / full', lm['gc_memory_ratio'], 0.7, 'lower'),
                                         ('LoRA + checkpointing\nstep time / full', lm['gc_step_ratio'], 0.7, 'lower')]
    fig, ax = plt.subplots(figsize=(13, 4.5))
    for k, (name, val, target, better) in enumerate(rows):
        ok = val >= target if better == 'higher' else val <= target
        ax.bar(k, val, color='tab:green' if ok else 'tab:red')
        ax.plot([k-0.4, k+0.4], [target, target], 'k--', lw=1)
        ax.text(k, val, f'{val:.2f}', ha='center', va='bottom', fontsize=8)
    ax.set_xticks(range(len(rows))); ax.set_xticklabels([r[0] for r in rows], fontsize=7)
    ax.set_ylabel('ratio (dashed: target)')
    # the runs may come from different days and machines: each one's date and CPU
    runs = {}
    for name, r in (('training', t), ('inference', i), ('import', im), ('vision', v), ('LoRA', l)):
        runs.setdefault((r['date'], r.get('cpu') or r['machine'].split(',')[0]), []).append(name)
    ax.set_title('fasthf benchmarks: ' + '; '.join(f"{'/'.join(n)} {d} on {m}" for (d, m), n in runs.items()), fontsize=8)
    fig.tight_layout(); fig.savefig(res/'ratios.png', dpi=110)
    print(res/'ratios.png')

if __name__ == '__main__': main()

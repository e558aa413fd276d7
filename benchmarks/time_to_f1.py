"""Time to accuracy, text: the packaged MiniLM on MRPC. HF `Trainer` with its documented fine-tuning recipe (3 epochs,
lr 5e-5, 10% warm-up then linear decay, weight decay 0.01, `train_sampling_strategy='group_by_length'`, bs 32,
evaluated after each epoch) against a fasthf recipe (default: `fit_one_cycle(3, slice(2e-5, 2e-4))` unfrozen, the
body's groups at the lower rates; the first one tried, `fit_one_cycle(2, slice(1e-5, 1e-4))`, never reached `Trainer`'s F1), both end to end from the same checkpoint, for each of `--seeds`. Reported per seed:
dev F1 after each epoch with the wall time since training started (per-epoch evaluation included on both sides),
`Trainer`'s final F1, and the time fasthf needs to reach it (None if it never does). Issue #21 item 3: target <= 0.5x
`Trainer`'s wall time at the same F1, mean and spread over 3 seeds.

python benchmarks/time_to_f1.py [--quick] [--seeds 0 1 2] [--epochs 3] [--lr-lo 2e-5] [--lr-hi 2e-4] [--sides fasthf] [--bf16] [--device cuda]"""
import argparse, statistics, sys, tempfile, time
from pathlib import Path
sys.path.insert(0, str(Path(__file__).parent))
from _common import GLUE, add_device, device, quiet, report, table
from train_text import mrpc_data

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--quick', action='store_true', help='96 training pairs, 32 dev pairs, 64 tokens, one seed, one epoch each (a smoke run)')
    p.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    p.add_argument('--trainer-epochs', type=int, default=3)
    p.add_argument('--epochs', type=int, default=3, help="fasthf's epochs")
    p.add_argument('--lr-lo', type=float, default=2e-5, help="fasthf: the embeddings' learning rate (slice start)")
    p.add_argument('--lr-hi', type=float, default=2e-4, help="fasthf: the head's learning rate (slice end)")
    p.add_argument('--bs', type=int, default=32)
    p.add_argument('--max-length', type=int, default=128)
    p.add_argument('--data', default=str(GLUE/'MRPC'))
    p.add_argument('--sides', nargs='+', default=['trainer', 'fasthf'], choices=['trainer', 'fasthf'],
                   help='run only one side (a recipe search); the ratio needs both')
    p.add_argument('--bf16', action='store_true', help='bfloat16 mixed precision on both sides: Trainer(bf16=True), learn.to_bf16()')
    add_device(p)
    a = p.parse_args(argv)
    quiet()
    on = device(a)
    if a.quick: a.seeds, a.trainer_epochs, a.epochs = a.seeds[:1], 1, 1
    import numpy as np
    from sklearn.metrics import f1_score
    from transformers import (AutoModelForSequenceClassification, DataCollatorWithPadding, Trainer,
                              TrainerCallback, TrainingArguments, set_seed)
    from fastai.callback.core import Callback
    from fastai.metrics import F1Score
    from fasthf.all import SentencePairLearner
    ckpt, train, dev, df, tok, tr, dv = mrpc_data(a)

    def run_trainer(seed):
        set_seed(seed)
        model = AutoModelForSequenceClassification.from_pretrained(ckpt, num_labels=2)
        args = TrainingArguments(output_dir=tempfile.mkdtemp(), per_device_train_batch_size=a.bs, per_device_eval_batch_size=64,
                                 num_train_epochs=a.trainer_epochs, learning_rate=5e-5, warmup_steps=0.1, lr_scheduler_type='linear',
                                 weight_decay=0.01, seed=seed, report_to=[], save_strategy='no', logging_strategy='no',
                                 eval_strategy='epoch', use_cpu=on.type == 'cpu', disable_tqdm=True,
                                 train_sampling_strategy='group_by_length', bf16=a.bf16)
        curve = []
        class Clock(TrainerCallback):
            def on_train_begin(self, *args, **kw): self.t0 = time.perf_counter()
            def on_evaluate(self, args, state, control, metrics=None, **kw):
                curve.append(dict(epoch=round(state.epoch), seconds=time.perf_counter() - self.t0, f1=metrics['eval_f1']))
        metric = lambda ev: dict(f1=float(f1_score(ev.label_ids, ev.predictions.argmax(-1))))
        Trainer(model=model, args=args, train_dataset=tr, eval_dataset=dv, data_collator=DataCollatorWithPadding(tok),
                compute_metrics=metric, callbacks=[Clock()]).train()
        return curve

    def run_fasthf(seed):
        learn = SentencePairLearner.from_df(df, ckpt, valid_col='is_valid', bs=a.bs, max_length=a.max_length, freeze=False, seed=seed,
                                            metrics=[F1Score()])
        assert list(learn.dls.vocab) == [0, 1], learn.dls.vocab # F1Score's positive class is index 1: label 1, "paraphrase"
        learn.dls.to(on); learn.model.to(on)
        if a.bf16: learn.to_bf16()
        curve = []
        class Clock(Callback):
            order = 60 # after the `Recorder` has the epoch's metrics
            def before_fit(self): self.t0 = time.perf_counter()
            def after_epoch(self): curve.append(dict(epoch=self.epoch + 1, seconds=time.perf_counter() - self.t0, f1=float(self.recorder.log[-2])))
        with learn.no_bar(), learn.no_logging(): learn.fit_one_cycle(a.epochs, slice(a.lr_lo, a.lr_hi), cbs=Clock())
        return curve

    runs = []
    for i, seed in enumerate(a.seeds): # the side that goes first alternates with the seed
        sides = [(k, f) for k, f in [('trainer', run_trainer), ('fasthf', run_fasthf)] if k in a.sides]
        res = {k: f(seed) for k, f in (sides if i % 2 == 0 else sides[::-1])}
        short = lambda k: [(c['epoch'], round(c['seconds']), round(c['f1'], 3)) for c in res.get(k, [])]
        print(f"seed {seed}: Trainer {short('trainer')}; fasthf {short('fasthf')}", flush=True)
        if len(res) < 2: runs.append(dict(seed=seed, **res)); continue
        target = res['trainer'][-1]['f1']
        reach = next((c['seconds'] for c in res['fasthf'] if c['f1'] >= target), None)
        runs.append(dict(seed=seed, trainer=res['trainer'], fasthf=res['fasthf'], target_f1=target, trainer_seconds=res['trainer'][-1]['seconds'],
                         fasthf_seconds_to_target=reach, ratio=None if reach is None else reach / res['trainer'][-1]['seconds']))
    if len(a.sides) < 2: return runs # a one-sided search run prints its curves and writes no result
    spread = lambda xs: f'{statistics.mean(xs):.3f} ({min(xs):.3f}-{max(xs):.3f})'
    rows = [dict(side=f"Trainer, {a.trainer_epochs} epochs, 5e-5, warm-up 10%, linear", final_f1=spread([r['target_f1'] for r in runs]),
                 seconds=spread([r['trainer_seconds'] for r in runs])),
            dict(side=f"fasthf fit_one_cycle({a.epochs}, slice({a.lr_lo:g}, {a.lr_hi:g}))", final_f1=spread([r['fasthf'][-1]['f1'] for r in runs]),
                 seconds=spread([r['fasthf'][-1]['seconds'] for r in runs]),
                 reached=f"{sum(r['ratio'] is not None for r in runs)} of {len(runs)} seeds",
                 ratio=spread([r['ratio'] for r in runs if r['ratio'] is not None]) if any(r['ratio'] is not None for r in runs) else 'never')]
    table(rows, ['side', 'final_f1', 'seconds', 'reached', 'ratio'])
    return report('time_to_f1' + ('_bf16' if a.bf16 else ''), dict(precision='bf16' if a.bf16 else 'fp32', n_train=len(train), n_dev=len(dev), bs=a.bs,
                                     max_length=a.max_length, trainer_epochs=a.trainer_epochs, epochs=a.epochs, lr=[a.lr_lo, a.lr_hi],
                                     seeds=a.seeds, runs=runs, target='fasthf time to Trainer final F1 <= 0.5x Trainer wall time', quick=a.quick), dev=on)

if __name__ == '__main__': main()

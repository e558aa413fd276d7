"""torch.compile: fasthf eager against `learn.compile()` on the packaged MiniLM, both padding text batches to multiples
of 32 tokens (what `compile()` sets), so the math and the shapes are the same. Inference: `get_preds` on SST-2 dev
(bs 64), the first compiled pass (which compiles), then both in turn, labels compared with the eager run. Training:
one-epoch `fit`s on SST-2 train rows (bs 32, lr 5e-5, unfrozen), the two learners in turn. Medians of `--rounds`. Reports the steady-state ratio,
the compilation cost, and after how many batches compiling pays back (issue #21 item 5: measure and document when it pays).

python benchmarks/compile.py [--quick] [--device cuda] [--backend inductor] [--train-rows 640] [--rounds 3] [--dynamic auto|false|true]"""
import argparse, statistics, sys, tempfile, time
from pathlib import Path
sys.path.insert(0, str(Path(__file__).parent))
from _common import GLUE, Timer, add_device, device, quiet, report, table

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--quick', action='store_true', help="64 sentences, 64 training rows, torch.compile's `eager` backend (a smoke run)")
    p.add_argument('--backend', default=None, help='torch.compile backend (default: inductor; eager with --quick)')
    p.add_argument('--train-rows', type=int, default=640)
    p.add_argument('--rounds', type=int, default=3, help='timed rounds of each side, in turn (1 with --quick)')
    p.add_argument('--dynamic', choices=['auto', 'false', 'true'], default='auto', help="torch.compile's `dynamic` (auto: torch's default, None)")
    p.add_argument('--data', default=str(GLUE/'SST-2'))
    add_device(p)
    a = p.parse_args(argv)
    quiet()
    dev = device(a)
    backend = a.backend or ('eager' if a.quick else 'inductor')
    if a.quick: a.rounds = 1
    dyn = {} if a.dynamic == 'auto' else dict(dynamic=a.dynamic == 'true')
    import torch, torch._dynamo
    from fastai.callback.core import Callback
    from fasthf.all import SequenceClassificationLearner, HFLearner
    from fasthf.assets import glue_tsv, rotten_tomatoes, minilm_path
    data = Path(a.data)
    if (data/'dev.tsv').exists(): dev_df, train_df = glue_tsv(data/'dev.tsv'), glue_tsv(data/'train.tsv')
    else: # SST-2 not here: real review snippets of the same kind
        rt = rotten_tomatoes(872 + a.train_rows, seed=0).rename(columns={'text': 'sentence'})
        dev_df, train_df = rt[:872], rt[872:]
    n_train = 64 if a.quick else a.train_rows
    sents = dev_df.sentence.tolist()[:64 if a.quick else None]
    train_df = train_df.sample(n_train, random_state=0).reset_index(drop=True)
    rows, res = [], dict(backend=backend, dynamic=a.dynamic, rounds=a.rounds)

    # inference: one saved model, loaded twice
    folder = Path(tempfile.mkdtemp())/'model'
    SequenceClassificationLearner.from_df(rotten_tomatoes(64, seed=1), minilm_path(), text_cols='text', bs=64, max_length=128).save_pretrained(folder)
    def loaded(compiled):
        l = HFLearner.from_pretrained(folder, bs=64)
        l.compile(backend=backend, **dyn) if compiled else l.compile(backend='eager') # the eager side pads as the compiled one...
        if not compiled: del l.hf_model.forward # ...and runs the plain forward
        l.dls.to(dev); l.model.to(dev)
        return l
    eager, comp = loaded(False), loaded(True)
    def preds(l):
        with l.no_bar(), Timer() as t: probs, _ = l.get_preds(dl=l.test_dl(sents))
        return probs, t.s
    preds(eager) # warm-up (first-call allocations), not the compiler
    torch._dynamo.reset(); torch._dynamo.utils.counters.clear()
    pc1, tc1 = preds(comp) # compiles
    graphs = torch._dynamo.utils.counters['stats']['unique_graphs']
    te, tc = [], [] # then rounds in turn, so that the machine's drift does not favour one side
    for _ in range(a.rounds):
        pe, t = preds(eager); te.append(t)
        pc, t = preds(comp); tc.append(t)
    te, tc = statistics.median(te), statistics.median(tc)
    nb = len(comp.test_dl(sents))
    same = pe.argmax(1).tolist() == pc.argmax(1).tolist()
    gain = (te - tc) / nb # seconds saved per batch once compiled
    pays = (tc1 - tc) / gain if gain > 0 else None
    rows.append(dict(what=f'inference, {len(sents)} sentences bs 64', eager=f'{te:.2f} s', compiled=f'{tc:.2f} s (first pass {tc1:.1f} s)',
                     ratio=f'{te/tc:.2f}x', compiles=graphs, pays_after=f'{pays:.0f} batches' if pays else 'never', labels_identical=same))
    res.update(infer_eager_s=te, infer_compiled_s=tc, infer_first_compiled_s=tc1, infer_ratio=te/tc, infer_graphs=graphs,
               infer_batches=nb, infer_pays_after_batches=pays, labels_identical=same, max_prob_diff=float((pe - pc).abs().max()))

    # training: one epoch at a time, the two learners in turn; the compiled one's first epoch compiles
    class EpochTime(Callback):
        order = 100
        def before_epoch(self): self.t = time.perf_counter()
        def after_epoch(self): self.s = time.perf_counter() - self.t
    def learner(compiled):
        l = SequenceClassificationLearner.from_df(train_df, minilm_path(), text_cols='sentence', bs=32, max_length=128, freeze=False, seed=0,
                                                  valid_pct=0.1, cbs=EpochTime())
        l.compile(backend=backend, **dyn)
        if not compiled: del l.hf_model.forward
        l.dls.to(dev); l.model.to(dev)
        return l
    def epoch(l):
        with l.no_bar(), l.no_logging(): l.fit(1, 5e-5)
        return l.epoch_time.s
    le, lc = learner(False), learner(True)
    torch._dynamo.reset(); torch._dynamo.utils.counters.clear()
    e, c = [epoch(le)], [epoch(lc)]
    tgraphs = torch._dynamo.utils.counters['stats']['unique_graphs']
    for _ in range(a.rounds): e.append(epoch(le)); c.append(epoch(lc))
    e2, c2, c1 = statistics.median(e[1:]), statistics.median(c[1:]), c[0]
    nsteps = len(le.dls.train) + len(le.dls.valid)
    tgain = (e2 - c2) / nsteps
    tpays = (c1 - c2) / tgain if tgain > 0 else None
    rows.append(dict(what=f'training epoch, {n_train} rows bs 32', eager=f'{e2:.2f} s', compiled=f'{c2:.2f} s (first epoch {c1:.1f} s)',
                     ratio=f'{e2/c2:.2f}x', compiles=tgraphs, pays_after=f'{tpays:.0f} batches' if tpays else 'never'))
    res.update(train_rows=n_train, train_eager_epoch_s=e, train_compiled_epoch_s=c, train_ratio=e2/c2, train_graphs=tgraphs,
               train_pays_after_batches=tpays)
    table(rows, ['what', 'eager', 'compiled', 'ratio', 'compiles', 'pays_after', 'labels_identical'])
    return report('compile', dict(**res, quick=a.quick), dev=dev)

if __name__ == '__main__': main()

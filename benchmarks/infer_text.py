"""Inference, text: SST-2 dev through `transformers.pipeline` (batch size 64) vs fasthf's batched `get_preds` on
`learn.test_dl`, same model (the packaged MiniLM with a classification head trained for one epoch on 640 reviews,
saved as a HF folder; medians of 3 rounds in turn): sentences/s,
the ratio, and whether the predicted labels are identical; the model alone over fasthf's batches (`no_grad`, no fastai
loop) as the ceiling of the batched path. Also the latency of one `predict` vs one pipeline call, and of the tokenizer and the
model alone on one sentence (the floor of any `predict`), and
fasthf's batched path in bf16 (`learn.to_bf16()`): speed and agreement with its fp32 labels.
Targets (issue #21): batched >= 2x the pipeline; single-sentence latency <= 1.0x the pipeline's.

python benchmarks/infer_text.py [--quick] [--device cuda] [--data ../shared/data/glue/SST-2/dev.tsv]"""
import argparse, statistics, sys, tempfile, time
from pathlib import Path
sys.path.insert(0, str(Path(__file__).parent))
from _common import GLUE, Timer, add_device, device, quiet, report, table

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--quick', action='store_true', help='64 sentences, 5 latency calls (a smoke run)')
    p.add_argument('--data', default=str(GLUE/'SST-2'/'dev.tsv'))
    p.add_argument('--rounds', type=int, default=3, help='batched runs of each side, in turn (1 with --quick)')
    add_device(p)
    a = p.parse_args(argv)
    if a.quick: a.rounds = 1
    quiet()
    dev = device(a)
    import torch
    from transformers import pipeline
    from fasthf.all import SequenceClassificationLearner, HFLearner
    from fasthf.callback import hf_inputs
    from fasthf.assets import glue_tsv, rotten_tomatoes
    from fasthf.assets import minilm_path
    torch.set_num_threads(torch.get_num_threads())
    if Path(a.data).exists(): sents = glue_tsv(a.data).sentence.tolist()
    else: sents = rotten_tomatoes(872, seed=0).text.tolist() # SST-2 not here: the same number of real review snippets
    if a.quick: sents = sents[:64]
    folder = Path(tempfile.mkdtemp())/'model'
    seed_df = rotten_tomatoes(64 if a.quick else 640, seed=1)
    learn = SequenceClassificationLearner.from_df(seed_df, minilm_path(), text_cols='text', bs=64, max_length=128)
    with learn.no_bar(), learn.no_logging(): learn.fit_one_cycle(1, 1e-2) # the head trained a little: predictions are not all near-ties
    learn.save_pretrained(folder)
    fast = HFLearner.from_pretrained(folder, bs=64)
    fast.dls.to(dev); fast.model.to(dev)
    pipe = pipeline('text-classification', model=str(folder), device=dev)
    kw = dict(truncation=True, max_length=128)
    pipe(sents[:64], batch_size=64, **kw); fast.get_preds(dl=fast.test_dl(sents[:64])) # warm-up
    rows = []
    tps, tfs = [], []
    for _ in range(a.rounds): # in turn, so that the machine's drift does not favour one side; medians
        with Timer() as t: out = pipe(sents, batch_size=64, **kw)
        tps.append(t.s)
        with fast.no_bar(), Timer() as t: probs, _ = fast.get_preds(dl=fast.test_dl(sents))
        tfs.append(t.s)
    tp, tf = Timer(), Timer()
    tp.s, tf.s = statistics.median(tps), statistics.median(tfs)
    def model_alone():
        "The model over fasthf's batches, nothing else: tokenized batches first, then only the forward passes are timed"
        batches = [hf_inputs(xb[0]) for xb in fast.test_dl(sents)]
        m = fast.hf_model.eval()
        with torch.no_grad(), Timer() as t:
            for b in batches: m(**b).logits.float().cpu()
        return t.s
    tm = model_alone()
    vocab = list(fast.dls.vocab)
    same = [vocab[i] for i in probs.argmax(1).tolist()] == [o['label'] for o in out]
    rows.append(dict(what=f'{len(sents)} sentences, bs 64', pipeline=f'{len(sents)/tp.s:.1f}/s', fasthf=f'{len(sents)/tf.s:.1f}/s',
                     ratio=f'{tp.s/tf.s:.2f}x', target='>= 2x', labels_identical=same))
    rows.append(dict(what='  the model alone on those batches', fasthf=f'{len(sents)/tm:.1f}/s', ratio=f'{tp.s/tm:.2f}x (ceiling)'))
    n = 5 if a.quick else 30
    lp, lf, lm = [], [], []
    m, tok = fast.hf_model.eval(), fast.input_tfm.tokenizer
    def alone(s):
        "One sentence through the tokenizer and the model, nothing else: the floor of any `predict`"
        with torch.no_grad(): return m(**tok([s], truncation=True, max_length=128, return_tensors='pt').to(dev)).logits.softmax(-1).cpu()
    alone(sents[0])
    for s in sents[:n]:
        with Timer() as t: alone(s)
        lm.append(t.s)
        with Timer() as t: pipe(s, **kw)
        lp.append(t.s)
        with fast.no_bar():
            with Timer() as t: fast.predict(s)
        lf.append(t.s)
    mp, mf, ma = statistics.median(lp), statistics.median(lf), statistics.median(lm)
    rows.append(dict(what='one sentence (median latency)', pipeline=f'{mp*1e3:.1f} ms', fasthf=f'{mf*1e3:.1f} ms', ratio=f'{mf/mp:.2f}x of pipeline', target='<= 1.0x'))
    rows.append(dict(what='  tokenizer + model alone, one sentence', fasthf=f'{ma*1e3:.1f} ms', ratio=f'{ma/mp:.2f}x (floor)'))
    # bf16 inference (issue #21 item 4): the same learner under `to_bf16()`, against its own fp32 predictions
    fast.to_bf16()
    with fast.no_bar():
        fast.get_preds(dl=fast.test_dl(sents[:64])) # warm-up of the bf16 kernels
        with Timer() as tb: probs16, _ = fast.get_preds(dl=fast.test_dl(sents))
    fast.to_fp32()
    agree = float((probs16.argmax(1) == probs.argmax(1)).float().mean())
    pdiff = float((probs16.float() - probs).abs().max())
    rows.append(dict(what='  same in bf16 (`learn.to_bf16()`)', pipeline='', fasthf=f'{len(sents)/tb.s:.1f}/s', ratio=f'{tf.s/tb.s:.2f}x fasthf fp32',
                     labels_identical=f'{agree:.1%} agree with fp32'))
    table(rows, ['what', 'pipeline', 'fasthf', 'ratio', 'target', 'labels_identical'])
    return report('infer_text', dict(n=len(sents), pipeline_per_s=len(sents)/tp.s, fasthf_per_s=len(sents)/tf.s, batched_ratio=tp.s/tf.s, rounds=a.rounds, pipeline_s=tps, fasthf_s=tfs,
                                     labels_identical=same, pipeline_latency_ms=mp*1e3, fasthf_latency_ms=mf*1e3, latency_ratio=mf/mp, model_alone_latency_ms=ma*1e3, model_alone_per_s=len(sents)/tm,
                                     bf16_per_s=len(sents)/tb.s, bf16_over_fp32=tf.s/tb.s, bf16_label_agreement=agree, bf16_max_prob_diff=pdiff, quick=a.quick), dev=dev)

if __name__ == '__main__': main()

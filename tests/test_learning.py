"""Learning check with the real pretrained MiniLM on real data (Rotten Tomatoes fresh/rotten, offline).
A model that learned nothing scores the majority share (about 0.58); the bar is 0.72."""
from fasthf.all import SequenceClassificationLearner
from fasthf.assets import rotten_tomatoes
from fasthf.assets import minilm_path

def test_minilm_rotten_tomatoes():
    df = rotten_tomatoes(2000, seed=1)
    majority = df.label.value_counts(normalize=True).max()
    learn = SequenceClassificationLearner.from_df(df, minilm_path(), text_cols='text', bs=32, max_length=64, seed=0)
    learn.unfreeze()
    with learn.no_bar(), learn.no_logging(): learn.fit_one_cycle(1, slice(1e-5, 1e-3))
    with learn.no_bar(): acc = learn.validate()[1]
    print(f'MiniLM on Rotten Tomatoes: accuracy {acc:.4f} (majority class {majority:.4f})')
    assert majority < 0.62
    assert acc >= 0.72

def test_minilm_lora_close_to_full_fine_tuning():
    "LoRA (r=8 on query/value, head trained whole) vs full fine-tuning, same data, epochs, batch size and seed"
    from fasthf.lora import LoRACallback
    df = rotten_tomatoes(3000, seed=1)
    accs = {}
    for kind in ('full', 'lora'):
        learn = SequenceClassificationLearner.from_df(df, minilm_path(), text_cols='text', bs=32, max_length=64, seed=0,
                                                      cbs=[LoRACallback(r=8)] if kind == 'lora' else None)
        learn.unfreeze()
        with learn.no_bar(), learn.no_logging():
            if kind == 'lora': learn.fit_one_cycle(2, 2e-3)
            else: learn.fit_one_cycle(2, slice(1e-5, 1e-3))
        with learn.no_bar(): accs[kind] = learn.validate()[1]
        if kind == 'lora': share = learn.lora.counts()['trainable'] / sum(p.numel() for p in learn.model.parameters())
    print(f"MiniLM on Rotten Tomatoes, 2 epochs: full fine-tuning {accs['full']:.4f}, LoRA r=8 {accs['lora']:.4f} ({share:.2%} of parameters trained)")
    assert accs['full'] >= 0.72
    assert accs['lora'] >= accs['full'] - 0.03

def _toxicity_split():
    import numpy as np
    from fasthf.assets import toxicity, TOXICITY_SCORES
    df = toxicity()
    df['is_valid'] = np.random.default_rng(0).random(len(df)) < 0.2
    return df, list(TOXICITY_SCORES)

def _fit(learn):
    with learn.no_bar(), learn.no_logging():
        learn.fit_one_cycle(1, 2e-3)
        learn.unfreeze(); learn.fit_one_cycle(3, slice(2e-5, 2e-4))
        return learn.get_preds()

def test_minilm_toxicity_regression():
    """Eight toxicity scores per text (multi-output regression). A model predicting each score's mean has R^2 <= 0 on
    the validation texts; the bar is a mean R^2 of 0.15 (measured: 0.28)."""
    from sklearn.metrics import r2_score
    df, cols = _toxicity_split()
    learn = SequenceClassificationLearner.from_df(df, minilm_path(), text_cols='text', label_col=cols, valid_col='is_valid', bs=32, max_length=64, seed=0)
    assert learn.task.name == 'regression' and learn.task.names == cols
    p, t = _fit(learn)
    r2 = [r2_score(t[:, i], p[:, i]) for i in range(len(cols))]
    mean_r2 = [r2_score(t[:, i], t[:, i]*0 + df.loc[~df.is_valid, c].mean()) for i, c in enumerate(cols)]
    print(f'MiniLM on Toxicity (8 scores): mean R^2 {sum(r2)/len(r2):.3f}, the training means {sum(mean_r2)/len(mean_r2):.3f}')
    assert max(mean_r2) <= 0.01
    assert sum(r2)/len(r2) >= 0.15

def test_minilm_toxicity_multi_label():
    """The eight scores thresholded at 0.5 (multi-label, 0/1 columns). Predicting each label's frequency ranks nothing
    (ROC AUC 0.5 per label); the bar is a mean per-label AUC of 0.65 (measured: 0.73)."""
    from sklearn.metrics import roc_auc_score
    df, cols = _toxicity_split()
    for c in cols: df[c] = (df[c] > 0.5).astype(int)
    learn = SequenceClassificationLearner.from_df(df, minilm_path(), text_cols='text', label_col=cols, valid_col='is_valid', bs=32, max_length=64, seed=0)
    assert learn.task.name == 'multi_label_classification'
    p, t = _fit(learn)
    aucs = [roc_auc_score(t[:, i], p[:, i]) for i in range(len(cols)) if 0 < t[:, i].sum() < len(t)]
    print(f'MiniLM on Toxicity (8 labels): mean ROC AUC {sum(aucs)/len(aucs):.3f} over {len(aucs)} labels with both classes')
    assert len(aucs) >= 6
    assert sum(aucs)/len(aucs) >= 0.65

def test_minilm_conll_ner():
    """Token classification: MiniLM on the CoNLL-2003 sample (226 sentences, 9 IOB2 tags). Predicting `O` everywhere
    (the majority tag, 78% of the words) finds no entity: entity F1 0. The bar is 0.6 (0.79 measured)."""
    import time
    from fasthf.text.tags import TokenClassificationLearner, read_conll, entity_scores
    from fasthf.assets import conll_sample
    df = read_conll(conll_sample())
    t = time.time()
    learn = TokenClassificationLearner.from_df(df, minilm_path(), valid_pct=0.25, seed=0, bs=16, max_length=64, freeze=False)
    with learn.no_bar(), learn.no_logging(): learn.fit_one_cycle(5, 1e-3)
    with learn.no_bar(): loss, tok_acc, f1 = learn.validate()
    golds = [learn.dls.valid_ds.tls[1].tfms.decode(y) for _, y in learn.dls.valid_ds]
    all_o = entity_scores(golds, [['O'] * len(g) for g in golds])['f1']
    o_share = sum(t == 'O' for g in golds for t in g) / sum(len(g) for g in golds)
    print(f'MiniLM on the CoNLL-2003 sample: entity F1 {f1:.4f}, token accuracy {tok_acc:.4f} (all-O: F1 {all_o}, '
          f'token accuracy {o_share:.4f}) in {time.time() - t:.0f} s')
    assert all_o == 0
    assert f1 >= 0.6 and tok_acc > o_share

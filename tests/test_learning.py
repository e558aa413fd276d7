"""Learning checks with the real pretrained MiniLM on real data (Rotten Tomatoes fresh/rotten, offline).
A model that learned nothing scores the majority share (about 0.58); the bar is 0.72.

The other tasks' learning checks are asserted in the tutorials, which the suite runs once, in the docs build of
tests/test_docs.py (a failed `assert` fails it): regression (mean R^2 of the eight Toxicity scores, 23_tutorial_regression),
multi-label (mean per-label ROC AUC, 24_tutorial_multilabel), token classification (entity F1 on the CoNLL-2003 sample,
25_tutorial_ner) and image classification (a ViT from scratch on MNIST, 21_tutorial_vit; also tests/test_learning_vision.py)."""
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

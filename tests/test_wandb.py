"""W&B in offline mode: `sweep_train` (fastai's `WandbCallback` through `HFWandbCallback`) on a tiny BERT and a tiny
ViT learner, then the offline run file is read record by record: the history holds train/valid loss and the metric
each epoch, the predictions table was logged, and the config holds the sweep's keys and the model's config."""
import json, struct, warnings
from pathlib import Path
import pandas as pd

def read_records(path):
    "Records of a W&B run file: a 7-byte header, then LevelDB-log blocks of 32 KiB holding protobuf `Record`s"
    from wandb.proto import wandb_internal_pb2
    data, recs, buf, pos = Path(path).read_bytes(), [], b'', 7
    if data[:4] != b':W&B': return recs
    while pos + 7 <= len(data):
        left = 32768 - pos % 32768
        if left < 7: pos += left; continue
        _, length, kind = struct.unpack('<IHB', data[pos:pos+7])
        chunk = data[pos+7:pos+7+length]; pos += 7 + length
        if kind == 0 and length == 0: break
        buf = chunk if kind in (1, 2) else buf + chunk
        if kind in (1, 4):
            r = wandb_internal_pb2.Record()
            try: r.ParseFromString(buf)
            except Exception: break # a record still being written
            recs.append(r); buf = b''
    return recs

def _run(tmp_path, monkeypatch, fn):
    monkeypatch.setenv('WANDB_MODE', 'offline'); monkeypatch.setenv('WANDB_DIR', str(tmp_path)); monkeypatch.setenv('WANDB_SILENT', 'true')
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        res = fn()
    import time
    for _ in range(120): # wandb's core process writes the file asynchronously: wait for the run's exit record
        files = list(tmp_path.glob('wandb/offline-run-*/run-*.wandb'))
        recs = read_records(files[0]) if files else []
        if any(r.WhichOneof('record_type') == 'exit' for r in recs): break
        time.sleep(0.5)
    assert len(files) == 1, files
    history = [{i.key or '/'.join(i.nested_key): i.value_json for i in r.history.item} for r in recs if r.WhichOneof('record_type') == 'history']
    config = {}
    for r in recs:
        kind = r.WhichOneof('record_type')
        if kind in ('run', 'config'): config.update({i.key: i.value_json for i in (r.run.config if kind == 'run' else r.config).update})
    return res, history, config

def test_sweep_train_text(tmp_path, monkeypatch):
    from fasthf.tracking import sweep_train
    from fasthf.testing import tiny_text_checkpoint, tiny_corpus
    s = tiny_corpus(160, seed=6)
    df = pd.DataFrame({'sentence1': s[:80], 'sentence2': s[80:], 'label': ['same', 'different'] * 40})
    res, history, config = _run(tmp_path, monkeypatch, lambda: sweep_train(
        df, tiny_text_checkpoint('bert'), text_cols=['sentence1', 'sentence2'], config=dict(lr=1e-3, wd=0.1, lr_decay=0.8, bs=16, max_length=32, epochs=2),
        wandb_kwargs=dict(dir=str(tmp_path))))
    keys = set().union(*history)
    assert {'train_loss', 'valid_loss', 'accuracy', 'epoch'} <= keys, keys
    epochs = [h for h in history if 'valid_loss' in h]
    assert len(epochs) == 2 and abs(json.loads(epochs[-1]['accuracy']) - res['accuracy']) < 1e-6
    table = [h for h in history if 'Prediction_Samples/_type' in h]
    assert table and json.loads(table[-1]['Prediction_Samples/_type']) == 'table-file'
    assert json.loads(table[-1]['Prediction_Samples/ncols']) == 5 # text, text 2, target, prediction, probability
    assert {'lr', 'wd', 'lr_decay', 'model_config'} <= set(config), config.keys()
    assert json.loads(config['lr_decay']) == 0.8
    assert json.loads(config['model_config'])['model_type'] == 'bert'
    lrs = [[float(json.loads(h[f'lr_{i}'])) for i in range(4)] for h in history if 'lr_3' in h]
    assert lrs and lrs[-1][0] < lrs[-1][1] < lrs[-1][2] < lrs[-1][3], keys # layer-wise decay: lower groups get smaller rates

def test_wandb_callback_image_learner(tmp_path, monkeypatch):
    import wandb
    from fasthf.all import ImageClassificationLearner
    from fasthf.tracking import HFWandbCallback
    from fasthf.testing import tiny_image_checkpoint, tiny_image_folder
    def fit():
        wandb.init(project='fasthf-test', dir=str(tmp_path))
        learn = ImageClassificationLearner.from_folder(tiny_image_folder(tmp_path/'toy', n=32), tiny_image_checkpoint('vit'), bs=8)
        with learn.no_bar(): learn.fit_one_cycle(1, 1e-3, cbs=HFWandbCallback(log_preds=True, log_model=False))
        wandb.finish()
    _, history, config = _run(tmp_path, monkeypatch, fit)
    keys = set().union(*history)
    assert {'train_loss', 'valid_loss', 'accuracy', 'Prediction_Samples/_type'} <= keys, keys
    assert json.loads(config['model_config'])['model_type'] == 'vit'

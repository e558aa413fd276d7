"Shared by the round-trip tests: load every exported learner in one fresh Python process and compare its probabilities"
import json, subprocess, sys
from pathlib import Path
import torch

def check_fresh_process(res, tmp):
    "`res`: name -> dict(pkl, items, probs). Probabilities must be `torch.equal`, `predict` within 1e-6"
    cases = {k: dict(pkl=v['pkl'], items=[list(o) if isinstance(o, tuple) else o for o in v['items']]) for k, v in res.items()}
    (tmp/'cases.json').write_text(json.dumps(cases))
    subprocess.run([sys.executable, str(Path(__file__).parent/'_predict_fresh.py'), str(tmp/'cases.json'), str(tmp/'out.json')], check=True)
    out = json.loads((tmp/'out.json').read_text())
    for k, v in res.items():
        fresh = torch.tensor(out[k]) # identical; a convolutional net within `atol` (oneDNN may pick another kernel in a new process: 6e-8 seen)
        assert (torch.equal(fresh, v['probs']) if not v.get('atol') else torch.allclose(fresh, v['probs'], atol=v['atol'], rtol=0)), (k, (fresh - v['probs']).abs().max())
        assert torch.allclose(torch.tensor(out[k + '/predict']), v['probs'][0], atol=1e-6), k

def check_hf_folder(hf, name, labels):
    "A `save_pretrained` folder: safetensors weights only, and `id2label` in the config"
    assert (hf/'model.safetensors').exists(), name
    assert not any(f.suffix in ('.bin', '.pt', '.pth', '.pkl') for f in hf.iterdir()), name # weights as safetensors only
    cfg = json.loads((hf/'config.json').read_text())
    if 'label_names' in cfg: assert cfg['label_names'] == list(labels), name # a timm model's config names its classes so
    else: assert cfg['id2label'] == {str(i): l for i, l in enumerate(labels)}, name

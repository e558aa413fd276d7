"""Every tiny image architecture (ViT, DeiT, Swin, ConvNeXt) and the packaged pretrained EfficientNet-Lite0 (a timm model): ImageNet-style folder -> one `fit_one_cycle` epoch ->
export -> `load_learner` in a fresh process gives identical probabilities -> `save_pretrained` -> the
`image-classification` pipeline gives the same top-1 and probabilities within 1e-4, and `HFLearner.from_pretrained`
(no pickle) the same probabilities."""
import warnings
import numpy as np, pytest, torch
from PIL import Image
from fasthf.all import ImageClassificationLearner, HFLearner
from fasthf.testing import TINY_IMAGE_ARCHS, tiny_image_checkpoint, tiny_image_folder
from transformers import pipeline
from _roundtrip_check import check_fresh_process, check_hf_folder

@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    tmp = tmp_path_factory.mktemp('rtv')
    folder = tiny_image_folder(tmp/'toy', n=48)
    res = {}
    from fasthf.assets import efficientnet_lite0_path
    from test_learning_vision import _at_size
    ckpts = {arch: tiny_image_checkpoint(arch) for arch in TINY_IMAGE_ARCHS}
    ckpts['timm-efficientnet-lite0'] = _at_size(efficientnet_lite0_path(tmp/'lite0'), tmp/'lite0-32', 32) # a real pretrained timm model (#39), at 32 px
    for arch, ckpt in ckpts.items():
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            learn = ImageClassificationLearner.from_folder(folder, ckpt, bs=8)
        learn.unfreeze()
        with learn.no_bar(), learn.no_logging(): learn.fit_one_cycle(1, 1e-3)
        assert np.isfinite(learn.recorder.losses[-1].item())
        items = [str(f) for f in learn.dls.valid_ds.items[:8]]
        probs, _ = learn.get_preds(dl=learn.test_dl(items))
        learn.export(tmp/f'{arch}.pkl')
        hf = learn.save_pretrained(tmp/f'{arch}-hf')
        res[arch] = dict(learn=learn, items=items, probs=probs, pkl=str(tmp/f'{arch}.pkl'), hf=hf, atol=1e-6 if 'timm' in arch else 0)
    return res, tmp

def test_fresh_process_load_learner(trained):
    check_fresh_process(*trained)

def test_pipeline_and_from_pretrained(trained):
    res, _ = trained
    for k, v in res.items():
        hf = v['hf']
        assert (hf/'preprocessor_config.json').exists() or 'timm' in k, k # timm's processor reads `pretrained_cfg` from config.json
        check_hf_folder(hf, k, ('dark', 'light'))
        pipe = pipeline('image-classification', model=str(hf), device='cpu')
        outs = pipe([Image.open(f) for f in v['items']], top_k=None)
        pp = torch.tensor([[{o['label']: o['score'] for o in out}[l] for l in ('dark', 'light')] for out in outs])
        assert torch.equal(pp.argmax(1), v['probs'].argmax(1)), k
        assert torch.allclose(pp, v['probs'], atol=1e-4), (k, (pp - v['probs']).abs().max())
        learn2 = HFLearner.from_pretrained(hf)
        p2, _ = learn2.get_preds(dl=learn2.test_dl(v['items']))
        assert torch.allclose(p2, v['probs'], atol=1e-6), k

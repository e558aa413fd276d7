"""Breadth: fasthf end to end on tiny offline builds of transformers' architectures (`_sweep.check`).

The default run takes one architecture per family (below); `FASTHF_SWEEP=all pytest tests/test_sweep.py` takes every
one, and `bash tools/sweep.sh` writes the table in docs/architectures.md."""
import os
import pytest
from _sweep import check, TEXT, IMAGE, TOKENS, TASK_TARGETS

FAMILIES = { # one per family: encoders, decoder-only (dense, MoE, MLA), encoder-decoders, no attention mask, characters, latents, composite
    TEXT: ['bert', 'roberta', 'albert', 'deberta-v2', 'distilbert', 'electra', 'gpt2', 'llama', 'mixtral', 'deepseek_v3', 'bart',
           't5', 'xlnet', 'fnet', 'canine', 'perceiver', 'gemma3', 'modernbert', 'layoutlm'],
    TOKENS: ['bert', 'roberta', 'deberta-v2', 'distilbert', 'gpt2', 'llama', 'xlnet', 'modernbert', 't5'],
    IMAGE: ['vit', 'deit', 'swin', 'convnext', 'resnet', 'efficientnet', 'poolformer', 'beit', 'clip', 'mobilevit', 'levit',
            'timm_wrapper', 'pp_lcnet'],
}

def _cases():
    "Every target (single-label, multi-label, regression; tags for token classification) on one architecture per family, or on every architecture"
    if os.environ.get('FASTHF_SWEEP') == 'all':
        from fasthf.sweep import sweep_archs
        return [(mt, t, g) for t in (TEXT, TOKENS, IMAGE) for mt in sweep_archs(t) for g in TASK_TARGETS[t]]
    return [(mt, t, g) for t, archs in FAMILIES.items() for mt in archs for g in TASK_TARGETS[t]]

@pytest.mark.parametrize('arch,task,target', _cases())
def test_architecture(arch, task, target):
    r = check(arch, task, target)
    if r['status'] == 'not buildable': pytest.skip(r['reason'])
    assert r['status'] == 'pass', r['reason']

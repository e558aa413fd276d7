"""LoRA at BERT-base size (random weights from a config, no download): r=8 trains <= 1% of the parameters and the
adapter file is <= 2% of the full model.safetensors."""
import warnings
import pandas as pd, torch
from transformers import BertConfig, BertModel
from fasthf.all import SequenceClassificationLearner
from fasthf.lora import LoRACallback
from fasthf.testing import tiny_tokenizer, tiny_corpus

def test_bert_base_shape_lora_share(tmp_path):
    tok = tiny_tokenizer('minilm') # 30,522 tokens, BERT-base's vocabulary size
    config = BertConfig(vocab_size=len(tok)) # BERT-base: 12 layers, 768 wide, 12 heads
    torch.manual_seed(0)
    BertModel(config).save_pretrained(tmp_path/'bert-base')
    tok.save_pretrained(tmp_path/'bert-base')
    s = tiny_corpus(64)
    df = pd.DataFrame({'text': s, 'label': ['a', 'b'] * 32})
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        learn = SequenceClassificationLearner.from_df(df, tmp_path/'bert-base', bs=16, max_length=32, cbs=LoRACallback(r=8))
    learn.unfreeze()
    c = learn.lora.counts()
    share = c['trainable'] / (c['base'] + c['added'])
    print(f"BERT-base shape: {c['base']:,} base parameters, {c['added']:,} added by LoRA, {c['trainable']:,} trainable ({share:.3%})")
    assert 105e6 < c['base'] < 115e6
    assert share <= 0.01
    with learn.no_bar(), learn.no_logging(): learn.fit(1, 1e-3)
    adir = learn.lora.save_adapter(tmp_path/'adapter')
    full = (tmp_path/'bert-base'/'model.safetensors').stat().st_size
    adapter = (adir/'adapter_model.safetensors').stat().st_size
    print(f"adapter file {adapter/1e6:.2f} MB = {adapter/full:.3%} of the full model's {full/1e6:.0f} MB")
    assert adapter / full <= 0.02

def test_lora_on_the_pretrained_timm_efficientnet(tmp_path):
    "LoRA on a real pretrained convolutional network (the packaged EfficientNet-Lite0, timm through transformers, #39): its 1x1 convolutions get adapters, the pretrained weights stay bit-identical, the merged folder predicts as the adapters did"
    from PIL import Image
    from fasthf.all import ImageClassificationLearner, HFLearner, efficientnet_lite0_path, mnist_5k
    x, y = mnist_5k()
    df = pd.DataFrame({'image': [Image.fromarray(o).convert('RGB') for o in x[:160]], 'label': [str(v) for v in y[:160]], 'is_valid': [False] * 128 + [True] * 32})
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        learn = ImageClassificationLearner.from_df(df, efficientnet_lite0_path(tmp_path/'lite0', size=32), bs=32, cbs=LoRACallback(r=4))
    peft = learn.model
    adapted = [m.base_layer for m in peft.modules() if hasattr(m, 'lora_A') and hasattr(m, 'base_layer')]
    assert adapted and all(isinstance(b, torch.nn.Conv2d) and tuple(b.kernel_size) == (1, 1) for b in adapted)
    frozen = {k: v.clone() for k, v in peft.state_dict().items() if 'lora_' not in k and 'modules_to_save' not in k and 'classifier' not in k
              and '.bn' not in k and 'running_' not in k and 'num_batches' not in k} # batch-norm statistics follow the data, as in any fit
    with learn.no_bar(), learn.no_logging(): learn.fit_one_cycle(1, 1e-2)
    sd = peft.state_dict()
    assert frozen and all(torch.equal(v, sd[k]) for k, v in frozen.items())
    items = list(df.image[128:])
    probs, _ = learn.get_preds(dl=learn.test_dl(items))
    learn.lora.merge(); learn.save_pretrained(tmp_path/'hf')
    l2 = HFLearner.from_pretrained(tmp_path/'hf')
    assert torch.allclose(l2.get_preds(dl=l2.test_dl(items))[0], probs, atol=1e-5)

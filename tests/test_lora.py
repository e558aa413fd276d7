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

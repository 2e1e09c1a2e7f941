from transformers import PretrainedConfig


class TinyConfig(PretrainedConfig):
    model_type = "tiny"

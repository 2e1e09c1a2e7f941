import torch
from transformers import PreTrainedModel

from .configuration_tiny import TinyConfig


class TinyForCausalLM(PreTrainedModel):
    config_class = TinyConfig

    def forward(self, input_ids):
        return torch.zeros(input_ids.shape)

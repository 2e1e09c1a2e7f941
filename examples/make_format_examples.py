#!/usr/bin/env python3
"""Writes the examples of the non-pickle formats (safetensors, GGUF, Keras, a Hugging Face folder).

Plain Python 3, no third-party packages: every file is written byte by byte from its published layout, so
nothing here loads or runs a model. The hostile chat template, if rendered by an unsandboxed Jinja renderer,
would only create an empty file `rampart-example-was-loaded` in the temporary folder.
Run from the repository root: python3 examples/make_format_examples.py
"""
import json
import os
import struct
import tempfile
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
MARKER = os.path.join(tempfile.gettempdir(), "rampart-example-was-loaded")


def safetensors(path):
    header = {
        "__metadata__": {"format": "pt"},
        "weight": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]},
        "bias": {"dtype": "F32", "shape": [2], "data_offsets": [16, 24]},
    }
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    data = struct.pack("<6f", 0.5, -0.25, 1.0, 2.0, 0.0, 0.1)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + data)


def gguf(path, template):
    def string(s):
        b = s.encode()
        return struct.pack("<Q", len(b)) + b

    kv = [("general.architecture", "llama"), ("general.name", "tiny-chat"), ("tokenizer.chat_template", template)]
    out = b"GGUF" + struct.pack("<IQQ", 3, 1, len(kv))
    for key, value in kv:
        out += string(key) + struct.pack("<I", 8) + string(value)
    out += string("token_embd.weight") + struct.pack("<I", 1) + struct.pack("<Q", 4) + struct.pack("<IQ", 0, 0)
    out += b"\0" * (-len(out) % 32)
    out += struct.pack("<4f", 0.0, 1.0, 2.0, 3.0)
    with open(path, "wb") as f:
        f.write(out)


def keras_with_lambda(path):
    config = {
        "module": "keras", "class_name": "Sequential", "registered_name": None,
        "config": {"name": "sequential", "layers": [
            {"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_shape": [None, 4], "name": "input"}},
            {"module": "keras.layers", "class_name": "Lambda", "config": {
                "name": "scale", "function": {"class_name": "__lambda__", "config": {
                    "code": "4wEAAAAAAAAAAAAAAAEAAAACAAAAQwAAAHMIAAAAfABkARQAUwApAk7pAgAAAKkAKQHaAXhyAgAAAHICAAAA+gg8c3RyaW5nPtoIPGxhbWJkYT4BAAAA8wAAAAA=",
                    "defaults": None, "closure": None}}}},
            {"module": "keras.layers", "class_name": "Dense", "config": {"name": "dense", "units": 2}},
        ]},
    }
    metadata = {"keras_version": "3.3.3", "date_saved": "2026-11-22@06:00:00"}
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("metadata.json", json.dumps(metadata))
        z.writestr("config.json", json.dumps(config))


def remote_code_repo(folder):
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump({"architectures": ["TinyForCausalLM"], "model_type": "tiny",
                   "auto_map": {"AutoConfig": "configuration_tiny.TinyConfig", "AutoModelForCausalLM": "modeling_tiny.TinyForCausalLM"},
                   "torch_dtype": "float32", "transformers_version": "4.46.0"}, f, indent=2)
    with open(os.path.join(folder, "configuration_tiny.py"), "w") as f:
        f.write("from transformers import PretrainedConfig\n\n\nclass TinyConfig(PretrainedConfig):\n    model_type = \"tiny\"\n")
    with open(os.path.join(folder, "modeling_tiny.py"), "w") as f:
        f.write("import torch\nfrom transformers import PreTrainedModel\n\nfrom .configuration_tiny import TinyConfig\n\n\n"
                "class TinyForCausalLM(PreTrainedModel):\n    config_class = TinyConfig\n\n"
                "    def forward(self, input_ids):\n        return torch.zeros(input_ids.shape)\n")
    safetensors(os.path.join(folder, "model.safetensors"))


if __name__ == "__main__":
    # In a folder of their own: safetensors weights beside the pickles of clean/ would be "mixed weights" (RAMP-HF-003).
    os.makedirs(os.path.join(HERE, "clean", "llm"), exist_ok=True)
    safetensors(os.path.join(HERE, "clean", "llm", "tiny.safetensors"))
    gguf(os.path.join(HERE, "clean", "llm", "chatml.gguf"),
         "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}"
         "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}")
    gguf(os.path.join(HERE, "malicious", "ssti_chat_template.gguf"),
         "{% for message in messages %}{{ message['content'] }}{% endfor %}"
         "{{ cycler.__init__.__globals__.os.popen('touch " + MARKER + "').read() }}")
    keras_with_lambda(os.path.join(HERE, "needs-review", "lambda_layer.keras"))
    remote_code_repo(os.path.join(HERE, "needs-review", "remote-code-model"))

"""The same training script, written safely."""
import argparse
import os
import subprocess

import torch
import yaml
from safetensors.torch import load_file
from transformers import AutoModelForImageClassification

BACKBONE_REVISION = "3f49326eb077187dfe1c2a2bb15fbd74e6ab91e3"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--resume")
    parser.add_argument("--dataset")
    args = parser.parse_args()
    with open("configs/train.yaml") as f:
        cfg = yaml.safe_load(f)
    model = AutoModelForImageClassification.from_pretrained(
        "google/vit-base-patch16-224", revision=BACKBONE_REVISION
    )
    if args.resume:
        model.load_state_dict(torch.load(args.resume, weights_only=True))
        model.load_state_dict(load_file(args.resume + ".safetensors"))
    baseline = torch.load("checkpoints/baseline.pt")
    subprocess.run(["aws", "s3", "sync", args.dataset, "/tmp/data"], check=True)
    model.eval()
    torch.save(model.state_dict(), os.path.join("out", "model.pt"))
    return cfg, baseline


if __name__ == "__main__":
    main()

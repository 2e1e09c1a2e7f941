"""Fine-tune an image classifier from a checkpoint given on the command line."""
import argparse
import os
import subprocess

import torch
import yaml
from torch.utils.data import DataLoader
from transformers import AutoImageProcessor, AutoModelForImageClassification


def parse_args():
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", default="configs/train.yaml")
    parser.add_argument("--resume")
    parser.add_argument("--dataset")
    return parser.parse_args()


def load_config(path):
    with open(path) as f:
        return yaml.load(f, Loader=yaml.Loader)


def main():
    args = parse_args()
    cfg = load_config(args.config)
    processor = AutoImageProcessor.from_pretrained(cfg["backbone"])
    model = AutoModelForImageClassification.from_pretrained(
        "google/vit-base-patch16-224", revision="3f49326eb077187dfe1c2a2bb15fbd74e6ab91e3"
    )
    if args.resume:
        state = torch.load(args.resume, map_location="cpu")
        model.load_state_dict(state["model"])
    subprocess.run(f"aws s3 sync {args.dataset} /tmp/data", shell=True, check=True)
    loader = DataLoader(range(10), batch_size=cfg["batch_size"])
    for epoch in range(cfg["epochs"]):
        for batch in loader:
            pass
    torch.save(model.state_dict(), os.path.join("out", "model.pt"))


if __name__ == "__main__":
    main()

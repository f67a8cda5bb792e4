#!/usr/bin/python3
"""PyTorch reference for the trainer's accuracy goal: an arch of ../shared/bench/torch_reference.py
trained on a seeded subset of Fashion-MNIST (pixels / 255, optionally standardised; Adam, reshuffled
every epoch), then evaluated on the 10,000 test images. Prints one JSON object.

--recipe trains with libs/trainer's default recipe (src/schedule.ts, src/train.ts): He-uniform
initialisation before ReLUs and Glorot-uniform for the logits (biases 0), the learning rate ramped
up linearly over the first round(warmup * steps) steps then cosine-decayed (lr * t / W, then
lr * (1 + cos(pi * (t - W - 1) / (steps - W))) / 2 for steps t = 1..steps), and the global gradient
norm clipped to --clip-norm (torch.nn.utils.clip_grad_norm_).

usage: train_fashion_torch.py [--arch small] [--train 12000] [--epochs 2] [--batch 64] [--lr 1e-3]
       [--normalize] [--seeds 0,1,2] [--dir /usr/share/datasets/fashion-mnist]
       [--recipe [--warmup 0.05] [--clip-norm 1]]
"""
import argparse
import gzip
import json
import os
import sys

import math

import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, os.environ.get("TORCH_REFERENCE_DIR", os.path.join(os.path.dirname(__file__), "../../../shared/bench")))
from torch_reference import build  # noqa: E402


def idx(path):
    with gzip.open(path) as f:
        data = f.read()
    nd = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(nd)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * nd).reshape(dims)


def he_init(model):
    """He-uniform for layers followed by a ReLU (every one but the last), Glorot-uniform for the logits; biases 0."""
    layers = [m for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    for i, m in enumerate(layers):
        if i < len(layers) - 1:
            nn.init.kaiming_uniform_(m.weight, a=0, mode="fan_in", nonlinearity="relu")
        else:
            nn.init.xavier_uniform_(m.weight)
        nn.init.zeros_(m.bias)


def rate(t, total, warmup):
    """libs/trainer's schedule: the factor of the peak rate at step t (1-based)."""
    w = max(0, min(round(warmup * total), total - 1))
    if t <= w:
        return t / w
    progress = min(1.0, (t - w - 1) / max(1, total - w))
    return (1 + math.cos(math.pi * progress)) / 2


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--arch", default="small")
    ap.add_argument("--train", type=int, default=12000)
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--normalize", action="store_true", help="(x - 0.286) / 0.353, Fashion-MNIST's mean and std")
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--dir", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--recipe", action="store_true", help="libs/trainer's default recipe (see the module doc)")
    ap.add_argument("--warmup", type=float, default=0.05)
    ap.add_argument("--clip-norm", type=float, default=1.0)
    a = ap.parse_args()
    torch.set_num_threads(1)
    xs = torch.tensor(idx(os.path.join(a.dir, "train-images-idx3-ubyte.gz")), dtype=torch.float32).unsqueeze(1) / 255
    ys = torch.tensor(idx(os.path.join(a.dir, "train-labels-idx1-ubyte.gz")), dtype=torch.long)
    xt = torch.tensor(idx(os.path.join(a.dir, "t10k-images-idx3-ubyte.gz")), dtype=torch.float32).unsqueeze(1) / 255
    yt = torch.tensor(idx(os.path.join(a.dir, "t10k-labels-idx1-ubyte.gz")), dtype=torch.long)
    if a.normalize:
        xs, xt = (xs - 0.286) / 0.353, (xt - 0.286) / 0.353
    accs = []
    for seed in [int(s) for s in a.seeds.split(",")]:
        torch.manual_seed(seed)
        sub = torch.randperm(len(xs))[:a.train]
        x, y = xs[sub], ys[sub]
        model = build(a.arch)
        if a.recipe:
            he_init(model)
        opt = torch.optim.Adam(model.parameters(), lr=a.lr)
        loss_fn = nn.CrossEntropyLoss()
        total = a.epochs * math.ceil(len(x) / a.batch)
        step = 0
        for _ in range(a.epochs):
            order = torch.randperm(len(x))
            for i in range(0, len(x), a.batch):
                b = order[i:i + a.batch]
                step += 1
                if a.recipe:
                    for g in opt.param_groups:
                        g["lr"] = a.lr * rate(step, total, a.warmup)
                opt.zero_grad()
                loss_fn(model(x[b]), y[b]).backward()
                if a.recipe and a.clip_norm > 0:
                    torch.nn.utils.clip_grad_norm_(model.parameters(), a.clip_norm)
                opt.step()
        with torch.no_grad():
            accs.append((model(xt).argmax(1) == yt).float().mean().item())
    print(json.dumps({"framework": "torch", "arch": a.arch, "train": a.train, "epochs": a.epochs, "batch": a.batch,
                      "lr": a.lr, "normalize": a.normalize,
                      "recipe": {"warmup": a.warmup, "clipNorm": a.clip_norm, "init": "he", "schedule": "cosine"} if a.recipe else None,
                      "testAccuracy": accs, "mean": sum(accs) / len(accs)}))


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""PyTorch reference for the trainer's accuracy goal: an arch of ../shared/bench/torch_reference.py
trained on a seeded subset of Fashion-MNIST (pixels / 255, optionally standardised; Adam, reshuffled
every epoch), then evaluated on the 10,000 test images. Prints one JSON object.

usage: train_fashion_torch.py [--arch small] [--train 12000] [--epochs 2] [--batch 64] [--lr 1e-3]
       [--normalize] [--seeds 0,1,2] [--dir /usr/share/datasets/fashion-mnist]
"""
import argparse
import gzip
import json
import os
import sys

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
        opt = torch.optim.Adam(model.parameters(), lr=a.lr)
        loss_fn = nn.CrossEntropyLoss()
        for _ in range(a.epochs):
            order = torch.randperm(len(x))
            for i in range(0, len(x), a.batch):
                b = order[i:i + a.batch]
                opt.zero_grad()
                loss_fn(model(x[b]), y[b]).backward()
                opt.step()
        with torch.no_grad():
            accs.append((model(xt).argmax(1) == yt).float().mean().item())
    print(json.dumps({"framework": "torch", "arch": a.arch, "train": a.train, "epochs": a.epochs, "batch": a.batch,
                      "lr": a.lr, "normalize": a.normalize,
                      "testAccuracy": accs, "mean": sum(accs) / len(accs)}))


if __name__ == "__main__":
    main()

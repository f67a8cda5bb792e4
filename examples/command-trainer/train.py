#!/usr/bin/env python3
"""The smallest useful command trainer for marl-hpo (docs/TRAINERS.md): copy it, put your own
model code and training loop in, keep the three steps.

    marl-hpo runs:  python3 train.py <job-folder>
    1. read <job-folder>/job.json: the architecture to train, the recipe, where the data is
    2. train (here: PyTorch on the .npy arrays the tool wrote; the layers of the vgg template)
    3. write metrics.json ({"accuracy": ...}, any other numbers you like) and model.onnx
       (input "input" float32 [N, C, H, W], output "probabilities" = softmax over the classes)

A non-zero exit (an exception) is a failed evaluation: marl-hpo records the reason and the last
lines of stderr in the journal and the search goes on. Needs torch and numpy.
"""
import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

job_dir = sys.argv[1]
job = json.load(open(os.path.join(job_dir, "job.json")))
assert job["version"] == 1, f"this script reads job.json version 1, got {job['version']}"
recipe, arrays, ir = job["recipe"], job["dataset"]["arrays"], job["architecture"]
torch.manual_seed(job["seed"])
torch.set_num_threads(recipe["threads"])


def same_padding(n, k, s):  # TensorFlow 'same': the odd pixel goes after
    total = max((math.ceil(n / s) - 1) * s + k - n, 0)
    return total // 2, total - total // 2


class Net(nn.Module):
    """The IR's layers in order (conv2d, maxPool, avgPool, flatten, globalAvgPool, dense, dropout)."""

    def __init__(self):
        super().__init__()
        h, w, c = ir["input"]
        self.steps = nn.ModuleList()
        x = torch.zeros(1, c, h, w)
        for n in ir["layers"]:
            kind = n["kind"]
            if kind == "conv2d":
                pad = (*same_padding(x.shape[3], n["kernel"], n["stride"]), *same_padding(x.shape[2], n["kernel"], n["stride"])) if n["padding"] == "same" else (0, 0, 0, 0)
                layers = [nn.ZeroPad2d(pad), nn.Conv2d(x.shape[1], n["filters"], n["kernel"], n["stride"], bias=not n["batchNorm"])]
                layers += [nn.BatchNorm2d(n["filters"])] if n["batchNorm"] else []
                layers += [nn.ReLU()] if n["activation"] == "relu" else []
                step = nn.Sequential(*layers)
            elif kind in ("maxPool", "avgPool") and n["padding"] == "valid":
                step = (nn.MaxPool2d if kind == "maxPool" else nn.AvgPool2d)(n["size"], n["stride"])
            elif kind == "flatten":
                step = nn.Flatten()
            elif kind == "globalAvgPool":
                step = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten())
            elif kind == "dense":
                step = nn.Sequential(nn.Linear(x.shape[1], n["units"]), nn.ReLU() if n["activation"] == "relu" else nn.Identity())
            elif kind == "dropout":
                step = nn.Dropout(n["rate"])
            else:
                raise SystemExit(f"layer {n['name']}: this example does not build '{kind}' layers")
            self.steps.append(step)
            x = step.eval()(x)

    def forward(self, x):
        for step in self.steps:
            x = step(x)
        return x


def load(split):
    return torch.from_numpy(np.load(arrays[split]["x"])), torch.from_numpy(np.load(arrays[split]["y"]).astype(np.int64))


(x_train, y_train), (x_val, y_val) = load("train"), load("val")
net = Net()
opt = (torch.optim.Adam if recipe["optimizer"] == "adam" else torch.optim.SGD)(net.parameters(), lr=recipe["learningRate"])
limit = recipe["trainLimit"] or len(x_train)
for epoch in range(recipe["epochs"]):
    net.train()
    order = torch.randperm(len(x_train))[:limit]
    for i in range(0, limit, recipe["batchSize"]):
        idx = order[i:i + recipe["batchSize"]]
        loss = F.cross_entropy(net(x_train[idx]), y_train[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    print(f"epoch {epoch + 1}: loss {loss.item():.4f}", file=sys.stderr)

net.eval()
with torch.no_grad():
    logits = torch.cat([net(x_val[i:i + 256]) for i in range(0, len(x_val), 256)])
metrics = {"accuracy": (logits.argmax(1) == y_val).float().mean().item(), "loss": F.cross_entropy(logits, y_val).item()}
json.dump(metrics, open(job["outputs"]["metrics"], "w"))

h, w, c = ir["input"]
torch.onnx.export(nn.Sequential(net, nn.Softmax(dim=1)), torch.zeros(1, c, h, w), job["outputs"]["model"], opset_version=17,
                  input_names=["input"], output_names=["probabilities"], dynamic_axes={"input": {0: "N"}, "probabilities": {0: "N"}})

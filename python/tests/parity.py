#!/usr/bin/python3
"""Parity helper for libs/trainer's torch-backend spec: builds each IR with marl_hpo_torch (seeded
initialisation, then random biases and batch-norm statistics so every tensor matters), runs it in
eval mode on a seeded batch and exports it with torch.onnx.

stdin:  {"irs": [<architecture IR>...], "out": "<folder>", "batch": 3}
stdout: [{"params", "x": {"shape", "data"} (NCHW), "probabilities": {"shape", "data"} (softmax of the
         torch forward), "onnx": "<folder>/<i>.onnx", "weights": "<folder>/<i>.bin" (float32, contract
         layouts, concatenated), "index": {name: {"shape", "offset"}} (offsets in floats)}]
"""
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from marl_hpo_torch.export import onnx_bytes  # noqa: E402
from marl_hpo_torch.model import build, count_params  # noqa: E402
from marl_hpo_torch.weights import to_contract  # noqa: E402


def randomise(net, g):
    def u(t, lo, hi):
        with torch.no_grad():
            t.copy_(lo + (hi - lo) * torch.rand(t.shape, generator=g))

    for m in net.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            u(m.weight, 0.5, 1.5)
            u(m.bias, -0.2, 0.2)
            u(m.running_mean, -0.2, 0.2)
            u(m.running_var, 0.5, 1.5)
        elif isinstance(m, (torch.nn.Conv2d, torch.nn.ConvTranspose2d, torch.nn.Linear)) and m.bias is not None:
            u(m.bias, -0.2, 0.2)


def main():
    req = json.load(sys.stdin)
    torch.set_num_threads(1)
    results = []
    for i, ir in enumerate(req["irs"]):
        g = torch.Generator().manual_seed(1000 + i)
        net = build(ir, seed=i)
        randomise(net, g)
        net.eval()
        h, w, c = ir["input"]
        x = torch.rand(req.get("batch", 3), c, h, w, generator=g) * 2 - 1
        with torch.no_grad():
            p = torch.softmax(net(x), dim=1)
        path = os.path.join(req["out"], f"{i}.onnx")
        with open(path, "wb") as f:
            f.write(onnx_bytes(net, ir["input"]))
        index, chunks, offset = {}, [], 0
        for name, w in to_contract(net).items():
            index[name] = {"shape": w["shape"], "offset": offset}
            chunks.append(np.asarray(w["data"], dtype=np.float32))
            offset += len(w["data"])
        weights = os.path.join(req["out"], f"{i}.bin")
        (np.concatenate(chunks) if chunks else np.zeros(0, np.float32)).tofile(weights)
        results.append({
            "params": count_params(net),
            "x": {"shape": list(x.shape), "data": x.flatten().tolist()},
            "probabilities": {"shape": list(p.shape), "data": p.flatten().tolist()},
            "onnx": path,
            "weights": weights,
            "index": index,
        })
    print(json.dumps(results))


if __name__ == "__main__":
    main()

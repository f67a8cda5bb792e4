#!/usr/bin/python3
"""PyTorch reference for libs/arch: builds each IR with torch.nn and reports, per layer,
the output shape (NHWC, from a real forward pass), the trainable parameters (as
`parameters()` counts them) and the multiply-accumulates of every Conv2d, ConvTranspose2d
and Linear that ran (forward hooks on the real tensors).

stdin:  a JSON array of architecture IRs (libs/arch/src/ir.ts)
stdout: a JSON array, one {"params", "macs", "outputShape", "layers": [{"name", "outputShape", "params", "macs"}]} per IR
Also: `torch_reference.py --vgg16` prints torchvision's VGG-16 definition's parameter count.
"""
import json
import math
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F


def same_pads(n, k, s):
    total = max((math.ceil(n / s) - 1) * s + k - n, 0)
    return total // 2, total - total // 2


class SamePad(nn.Module):
    """TF 'same' padding (extra at bottom/right), applied before a window op."""

    def __init__(self, k, s, value=0.0):
        super().__init__()
        self.k, self.s, self.value = k, s, value

    def forward(self, x):
        t, b = same_pads(x.shape[2], self.k, self.s)
        l, r = same_pads(x.shape[3], self.k, self.s)
        return F.pad(x, (l, r, t, b), value=self.value)


def act(name):
    return {"relu": nn.ReLU(), "linear": nn.Identity(), "sigmoid": nn.Sigmoid(), "tanh": nn.Tanh()}[name]


def conv_block(cin, cout, k, s, padding, activation, bn, groups=1):
    layers = [SamePad(k, s)] if padding == "same" else []
    layers.append(nn.Conv2d(cin, cout, k, s, groups=groups, bias=not bn))
    if bn:
        layers.append(nn.BatchNorm2d(cout))
    layers.append(act(activation))
    return nn.Sequential(*layers)


class Inception(nn.Module):
    def __init__(self, cin, n):
        super().__init__()
        bn = n["batchNorm"]
        self.branches = nn.ModuleList()
        if n["b1x1"] > 0:
            self.branches.append(conv_block(cin, n["b1x1"], 1, 1, "same", "relu", bn))
        if n["b3x3"] > 0:
            self.branches.append(nn.Sequential(conv_block(cin, n["b3x3reduce"], 1, 1, "same", "relu", bn),
                                               conv_block(n["b3x3reduce"], n["b3x3"], 3, 1, "same", "relu", bn)))
        if n["b5x5"] > 0:
            self.branches.append(nn.Sequential(conv_block(cin, n["b5x5reduce"], 1, 1, "same", "relu", bn),
                                               conv_block(n["b5x5reduce"], n["b5x5"], 5, 1, "same", "relu", bn)))
        if n["poolProj"] > 0:
            self.branches.append(nn.Sequential(SamePad(3, 1, float("-inf")), nn.MaxPool2d(3, 1),
                                               conv_block(cin, n["poolProj"], 1, 1, "same", "relu", bn)))

    def forward(self, x):
        return torch.cat([b(x) for b in self.branches], 1)


def conv_transpose(cin, n):
    k, s = n["kernel"], n["stride"]
    if n["padding"] == "same":  # out = n * s
        p = math.ceil((k - s) / 2) if k >= s else 0
        op = s - k + 2 * p
    else:  # out = (n - 1) * s + max(k, s)
        p, op = 0, max(k, s) - k
    layers = [nn.ConvTranspose2d(cin, n["filters"], k, s, padding=p, output_padding=op, bias=not n["batchNorm"])]
    if n["batchNorm"]:
        layers.append(nn.BatchNorm2d(n["filters"]))
    layers.append(act(n["activation"]))
    return nn.Sequential(*layers)


def pool(n):
    cls = nn.MaxPool2d if n["kind"] == "maxPool" else nn.AvgPool2d
    if n["padding"] == "same":
        return nn.Sequential(SamePad(n["size"], n["stride"], float("-inf") if n["kind"] == "maxPool" else 0.0),
                             cls(n["size"], n["stride"]))
    return cls(n["size"], n["stride"])


def module_for(n, in_shapes):
    c = in_shapes[0][1] if len(in_shapes[0]) == 4 else None
    kind = n["kind"]
    if kind == "conv2d":
        return conv_block(c, n["filters"], n["kernel"], n["stride"], n["padding"], n["activation"], n["batchNorm"])
    if kind == "depthwiseConv2d":
        return conv_block(c, c * n["depthMultiplier"], n["kernel"], n["stride"], n["padding"], n["activation"],
                          n["batchNorm"], groups=c)
    if kind in ("maxPool", "avgPool"):
        return pool(n)
    if kind == "inception":
        return Inception(c, n)
    if kind == "upsample":
        return nn.Upsample(scale_factor=n["scale"], mode=n["mode"])
    if kind == "convTranspose":
        return conv_transpose(c, n)
    if kind == "globalAvgPool":
        return nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten())
    if kind == "flatten":
        return nn.Flatten()
    if kind == "dense":
        return nn.Sequential(nn.Linear(in_shapes[0][1], n["units"]), act(n["activation"]))
    if kind == "dropout":
        return nn.Dropout(n["rate"])
    if kind in ("concat", "skip"):
        return None
    raise SystemExit(f"unknown kind {kind}")


def run(ir):
    h, w, c = ir["input"]
    outputs = {"input": torch.zeros(1, c, h, w)}
    prev, layers = "input", []
    macs = [0]

    def hook(mod, inp, out):
        if isinstance(mod, nn.Conv2d):
            macs[0] += out[0].numel() * (mod.in_channels // mod.groups) * mod.kernel_size[0] * mod.kernel_size[1]
        elif isinstance(mod, nn.ConvTranspose2d):
            macs[0] += inp[0][0].numel() * (mod.out_channels // mod.groups) * mod.kernel_size[0] * mod.kernel_size[1]
        elif isinstance(mod, nn.Linear):
            macs[0] += mod.in_features * mod.out_features

    with torch.no_grad():
        for n in ir["layers"]:
            names = n["inputs"] if n["kind"] == "concat" else [prev, n["from"]] if n["kind"] == "skip" else [prev]
            xs = [outputs[k] for k in names]
            mod = module_for(n, [tuple(x.shape) for x in xs])
            macs[0] = 0
            if mod is None:
                y, params = torch.cat(xs, 1), 0
            else:
                mod.eval()
                handles = [m.register_forward_hook(hook) for m in mod.modules()]
                y = mod(xs[0])
                for hd in handles:
                    hd.remove()
                params = sum(p.numel() for p in mod.parameters())
            shape = list(y.shape[1:]) if y.dim() == 2 else [y.shape[2], y.shape[3], y.shape[1]]
            layers.append({"name": n["name"], "outputShape": shape, "params": params, "macs": macs[0]})
            outputs[n["name"]] = y
            prev = n["name"]
    return {"params": sum(l["params"] for l in layers), "macs": sum(l["macs"] for l in layers),
            "outputShape": layers[-1]["outputShape"], "layers": layers}


def torchvision_vgg16_params():
    """VGG-16 exactly as torchvision.models.vgg16 defines it (configuration 'D'), 224x224x3, 1000 classes."""
    cfg, layers, c = [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"], [], 3
    for v in cfg:
        if v == "M":
            layers.append(nn.MaxPool2d(2, 2))
        else:
            layers += [nn.Conv2d(c, v, 3, padding=1), nn.ReLU(True)]
            c = v
    model = nn.Sequential(*layers, nn.AdaptiveAvgPool2d(7), nn.Flatten(), nn.Linear(512 * 7 * 7, 4096), nn.ReLU(True),
                          nn.Dropout(), nn.Linear(4096, 4096), nn.ReLU(True), nn.Dropout(), nn.Linear(4096, 1000))
    return sum(p.numel() for p in model.parameters())


if __name__ == "__main__":
    torch.set_num_threads(1)
    if "--vgg16" in sys.argv:
        print(json.dumps({"params": torchvision_vgg16_params()}))
    else:
        print(json.dumps([run(ir) for ir in json.load(sys.stdin)]))

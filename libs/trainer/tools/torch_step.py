#!/usr/bin/python3
"""PyTorch reference for libs/trainer's gradients (micrograd-style cross-check).

stdin:  {"ir": <architecture IR>, "weights": {name: {"shape", "data"}}, "x": {"shape": [N,H,W,C], "data"},
         "y": [class ids: N, or N*H*W for segmentation]}
stdout: {"logits": [...eval-mode logits, NHWC / [N, classes]], "loss": training-mode mean cross-entropy,
         "grads": {name: [...]} for every trainable weight, in the trainer's (tfjs NHWC) layouts,
         "stats": {name: [...]} batch-norm moving mean/variance after one training step (momentum 0.1)}

The network is built layer by layer with tools/arch/torch_reference.py's modules (TF 'same'
padding, same layer order); what that file does not model exactly is done here: NHWC flatten
order, average pooling that excludes padding, TF's transposed-conv cropping, batch-norm
epsilon 1e-3. Float64 throughout.
"""
import json
import math
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "../../../tools/arch"))
from torch_reference import act, module_for, same_pads  # noqa: E402

BN_EPS = 1e-3


class AvgPoolTF(nn.Module):
    """TF average pooling: 'same' padding divides by the number of real (unpadded) inputs."""

    def __init__(self, k, s, padding):
        super().__init__()
        self.k, self.s, self.padding = k, s, padding

    def forward(self, x):
        if self.padding != "same":
            return F.avg_pool2d(x, self.k, self.s)
        t, b = same_pads(x.shape[2], self.k, self.s)
        l, r = same_pads(x.shape[3], self.k, self.s)
        total = F.avg_pool2d(F.pad(x, (l, r, t, b)), self.k, self.s) * (self.k * self.k)
        ones = torch.ones(1, 1, x.shape[2], x.shape[3], dtype=x.dtype)
        count = F.avg_pool2d(F.pad(ones, (l, r, t, b)), self.k, self.s) * (self.k * self.k)
        return total / count


class ConvTransposeTF(nn.Module):
    """TF conv2d_transpose: the full (unpadded) transposed conv, cropped from row/col floor((k - s) / 2)
    for 'same' (output n * s) or from 0 for 'valid' (output (n - 1) * s + max(k, s)), zero-extended when
    k < s. (tools/arch/torch_reference.py's padding/output_padding form matches the shapes only.)"""

    def __init__(self, cin, n):
        super().__init__()
        self.k, self.s, self.padding = n["kernel"], n["stride"], n["padding"]
        self.conv = nn.ConvTranspose2d(cin, n["filters"], self.k, self.s, bias=not n["batchNorm"])

    def forward(self, x):
        full = self.conv(x)
        out = []
        for axis, size in ((2, x.shape[2]), (3, x.shape[3])):
            target = size * self.s if self.padding == "same" else (size - 1) * self.s + max(self.k, self.s)
            start = max(self.k - self.s, 0) // 2 if self.padding == "same" else 0
            out.append((start, target))
        (t, oh), (l, ow) = out
        full = F.pad(full, (0, max(0, l + ow - full.shape[3]), 0, max(0, t + oh - full.shape[2])))
        return full[:, :, t:t + oh, l:l + ow]


def conv_transpose_tf(cin, n):
    layers = [ConvTransposeTF(cin, n)]
    if n["batchNorm"]:
        layers.append(nn.BatchNorm2d(n["filters"]))
    layers.append(act(n["activation"]))
    return nn.Sequential(*layers)


class FlattenNHWC(nn.Module):
    def forward(self, x):
        return x.permute(0, 2, 3, 1).flatten(1)


def tensor(w):
    return torch.tensor(w["data"], dtype=torch.float64).reshape(w["shape"])


def convs_of(mod):
    """Conv / ConvTranspose / BatchNorm modules of a layer, in creation order."""
    return [m for m in mod.modules() if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.BatchNorm2d, nn.Linear))]


def bind(node, mod, weights, params):
    """Loads the layer's weights (tfjs layouts) into its torch modules; records (name, param, to_tfjs)."""
    kind, name = node["kind"], node["name"]
    if kind not in ("conv2d", "depthwiseConv2d", "inception", "convTranspose", "dense"):
        return
    prefixes = [name]
    if kind == "inception":
        prefixes = [f"{name}/{b}" for b in ["b1x1", "b3x3reduce", "b3x3", "b5x5reduce", "b5x5", "poolProj"]
                    if f"{name}/{b}/kernel" in weights]
    mods = convs_of(mod)
    i = 0
    for prefix in prefixes:
        conv = mods[i]
        i += 1
        if isinstance(conv, nn.Linear):
            k = tensor(weights[f"{prefix}/kernel"])
            conv.weight.data = k.t().contiguous()
            params.append((f"{prefix}/kernel", conv.weight, lambda g: g.t()))
        elif kind == "depthwiseConv2d":
            k = tensor(weights[f"{prefix}/depthwise_kernel"])  # [kh, kw, c, m]
            kh, kw, c, m = k.shape
            conv.weight.data = k.permute(2, 3, 0, 1).reshape(c * m, 1, kh, kw).contiguous()
            params.append((f"{prefix}/depthwise_kernel", conv.weight,
                           lambda g, s=(kh, kw, c, m): g.reshape(s[2], s[3], s[0], s[1]).permute(2, 3, 0, 1)))
        else:
            k = tensor(weights[f"{prefix}/kernel"])  # conv [kh,kw,cin,cout]; transposed [kh,kw,cout,cin]
            conv.weight.data = k.permute(3, 2, 0, 1).contiguous()  # -> [cout,cin,kh,kw] / [cin,cout,kh,kw]
            params.append((f"{prefix}/kernel", conv.weight, lambda g: g.permute(2, 3, 1, 0)))
        if conv.bias is not None:
            conv.bias.data = tensor(weights[f"{prefix}/bias"])
            params.append((f"{prefix}/bias", conv.bias, lambda g: g))
        if i < len(mods) and isinstance(mods[i], nn.BatchNorm2d):
            bn = mods[i]
            i += 1
            bn.eps = BN_EPS
            bn.momentum = 0.1
            bn.weight.data = tensor(weights[f"{prefix}/bn/gamma"])
            bn.bias.data = tensor(weights[f"{prefix}/bn/beta"])
            bn.running_mean.data = tensor(weights[f"{prefix}/bn/mean"])
            bn.running_var.data = tensor(weights[f"{prefix}/bn/variance"])
            params.append((f"{prefix}/bn/gamma", bn.weight, lambda g: g))
            params.append((f"{prefix}/bn/beta", bn.bias, lambda g: g))
            params.append((f"{prefix}/bn/mean", bn.running_mean, None))
            params.append((f"{prefix}/bn/variance", bn.running_var, None))


def build(ir, weights):
    h, w, c = ir["input"]
    shapes = {"input": (1, c, h, w)}
    layers, params, prev = [], [], "input"
    for n in ir["layers"]:
        names = n["inputs"] if n["kind"] == "concat" else [prev, n["from"]] if n["kind"] == "skip" else [prev]
        if n["kind"] == "avgPool":
            mod = AvgPoolTF(n["size"], n["stride"], n["padding"])
        elif n["kind"] == "flatten":
            mod = FlattenNHWC()
        elif n["kind"] == "dropout":
            mod = nn.Identity()
        elif n["kind"] == "convTranspose":
            mod = conv_transpose_tf(shapes[names[0]][1], n)
        else:
            mod = module_for(n, [shapes[k] for k in names])
        if mod is not None:
            mod = mod.double()
            bind(n, mod, weights, params)
        with torch.no_grad():
            xs = [torch.zeros(shapes[k], dtype=torch.float64) for k in names]
            out = torch.cat(xs, 1) if mod is None else mod.eval()(xs[0])
        shapes[n["name"]] = tuple(out.shape)
        layers.append((n["name"], names, mod))
        prev = n["name"]
    return layers, params


def forward(layers, x):
    values, last = {"input": x}, x
    for name, names, mod in layers:
        xs = [values[k] for k in names]
        last = torch.cat(xs, 1) if mod is None else mod(xs[0])
        values[name] = last
    return last


def main():
    req = json.load(sys.stdin)
    ir = req["ir"]
    layers, params = build(ir, req["weights"])
    x = tensor(req["x"]).permute(0, 3, 1, 2).contiguous()
    y = torch.tensor(req["y"], dtype=torch.long)
    mods = [m for _, _, m in layers if m is not None]

    with torch.no_grad():
        for m in mods:
            m.eval()
        out = forward(layers, x)
    logits = out.permute(0, 2, 3, 1) if out.dim() == 4 else out

    for m in mods:
        m.train()
    out = forward(layers, x)
    if ir["task"] == "segmentation":
        loss = F.cross_entropy(out, y.reshape(out.shape[0], out.shape[2], out.shape[3]))
    else:
        loss = F.cross_entropy(out, y)
    loss.backward()
    grads = {name: to_tfjs(p.grad).flatten().tolist() for name, p, to_tfjs in params if to_tfjs is not None}
    stats = {name: p.flatten().tolist() for name, p, to_tfjs in params if to_tfjs is None}
    print(json.dumps({"logits": logits.flatten().tolist(), "loss": loss.item(), "grads": grads, "stats": stats}))


if __name__ == "__main__":
    torch.set_num_threads(1)
    main()

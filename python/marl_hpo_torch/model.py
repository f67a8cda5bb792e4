"""An architecture IR (libs/arch/src/ir.ts) as a torch.nn.Module, with the semantics of
libs/trainer's tfjs model: TF 'same' padding (the extra row/column at the bottom/right),
average pooling that divides by the unpadded count, TF's transposed-conv cropping, nearest
upsampling with floor, bilinear with half-pixel centres, batch norm with epsilon 1e-3 and
momentum 0.1, dropout only while training. The model works in NCHW and returns logits:
[N, classes] or [N, classes, H, W].

Initialisation follows the trainer: He-uniform for layers followed by a ReLU (Glorot-uniform
with init 'glorot'), Glorot-uniform for the others, biases 0, batch-norm gamma 1 and beta 0.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

BN_EPS = 1e-3
BN_MOMENTUM = 0.1
CONV_KINDS = ("conv2d", "depthwiseConv2d", "convTranspose")


def same_pads(n, k, s):
    """TF 'same' padding of one axis: (before, after), the odd one after."""
    total = max((math.ceil(n / s) - 1) * s + k - n, 0)
    return total // 2, total - total // 2


def activation(name):
    if name == "relu":
        return nn.ReLU()
    if name == "sigmoid":
        return nn.Sigmoid()
    if name == "tanh":
        return nn.Tanh()
    if name == "linear":
        return nn.Identity()
    raise ValueError(f"unknown activation '{name}'")


class Pad(nn.Module):
    """Asymmetric padding before a window op (symmetric padding goes into the op itself)."""

    def __init__(self, pads, value=0.0):
        super().__init__()
        self.pads, self.value = pads, value

    def forward(self, x):
        return F.pad(x, self.pads, value=self.value)


def window_padding(h, w, k, s, padding):
    """(symmetric padding for the op, explicit (l, r, t, b) pads or None)."""
    if padding != "same":
        return (0, 0), None
    (t, b), (l, r) = same_pads(h, k, s), same_pads(w, k, s)
    if t == b and l == r:
        return (t, l), None
    return (0, 0), (l, r, t, b)


class ConvBlock(nn.Module):
    """conv2d / depthwiseConv2d: (pad) -> conv (bias unless batch norm) -> (batch norm) -> activation."""

    def __init__(self, cin, cout, k, s, padding, act, batch_norm, hw, groups=1):
        super().__init__()
        sym, pads = window_padding(hw[0], hw[1], k, s, padding)
        self.pad = Pad(pads) if pads else None
        self.conv = nn.Conv2d(cin, cout, k, s, padding=sym, groups=groups, bias=not batch_norm)
        self.bn = nn.BatchNorm2d(cout, eps=BN_EPS, momentum=BN_MOMENTUM) if batch_norm else None
        self.act = activation(act)
        self.relu = act == "relu"

    def forward(self, x):
        if self.pad is not None:
            x = self.pad(x)
        x = self.conv(x)
        if self.bn is not None:
            x = self.bn(x)
        return self.act(x)


class MaxPool(nn.Module):
    def __init__(self, k, s, padding, hw):
        super().__init__()
        sym, pads = window_padding(hw[0], hw[1], k, s, padding)
        self.pad = Pad(pads, float("-inf")) if pads else None
        self.pool = nn.MaxPool2d(k, s, padding=sym)

    def forward(self, x):
        return self.pool(self.pad(x) if self.pad is not None else x)


class AvgPool(nn.Module):
    """TF average pooling: with 'same' padding, the mean over the window's real inputs."""

    def __init__(self, k, s, padding, hw):
        super().__init__()
        sym, pads = window_padding(hw[0], hw[1], k, s, padding)
        self.pads = pads
        self.pool = nn.AvgPool2d(k, s, padding=sym, count_include_pad=False)
        if pads:
            # Sum over the padded window divided by the number of real inputs it covers.
            ones = F.pad(torch.ones(1, 1, hw[0], hw[1]), pads)
            count = F.avg_pool2d(ones, k, s) * (k * k)
            self.register_buffer("scale", (k * k) / count, persistent=False)

    def forward(self, x):
        if not self.pads:
            return self.pool(x)
        return self.pool(F.pad(x, self.pads)) * self.scale


class ConvTranspose(nn.Module):
    """TF conv2d_transpose: the full transposed conv cropped from floor((k - s) / 2) ('same',
    output n * s) or from 0 ('valid', output (n - 1) * s + max(k, s)); when k < s the output is
    longer than the full conv by s - k rows and columns, which get only the bias (output_padding)."""

    def __init__(self, cin, node, hw):
        super().__init__()
        k, s = node["kernel"], node["stride"]
        same = node["padding"] == "same"
        self.start = max(k - s, 0) // 2 if same else 0
        self.size = [n * s if same else (n - 1) * s + max(k, s) for n in hw]
        extend = [max(0, self.start + o - ((n - 1) * s + k)) for o, n in zip(self.size, hw)]
        self.conv = nn.ConvTranspose2d(cin, node["filters"], k, s, output_padding=tuple(extend), bias=not node["batchNorm"])
        self.crop = any(f != o for f, o in zip(((n - 1) * s + k + e for n, e in zip(hw, extend)), self.size))
        self.bn = nn.BatchNorm2d(node["filters"], eps=BN_EPS, momentum=BN_MOMENTUM) if node["batchNorm"] else None
        self.act = activation(node["activation"])
        self.relu = node["activation"] == "relu"

    def forward(self, x):
        y = self.conv(x)
        if self.crop:
            t = self.start
            y = y[:, :, t:t + self.size[0], t:t + self.size[1]]
        if self.bn is not None:
            y = self.bn(y)
        return self.act(y)


class Inception(nn.Module):
    """[1x1 | 1x1 -> 3x3 | 1x1 -> 5x5 | 3x3 max pool -> 1x1], concatenated on channels; zero-width branches absent."""

    def __init__(self, cin, node, hw):
        super().__init__()
        bn = node["batchNorm"]

        def conv(ci, co, k):
            return ConvBlock(ci, co, k, 1, "same", "relu", bn, hw)

        self.branches = nn.ModuleList()
        if node["b1x1"] > 0:
            self.branches.append(conv(cin, node["b1x1"], 1))
        if node["b3x3"] > 0:
            self.branches.append(nn.Sequential(conv(cin, node["b3x3reduce"], 1), conv(node["b3x3reduce"], node["b3x3"], 3)))
        if node["b5x5"] > 0:
            self.branches.append(nn.Sequential(conv(cin, node["b5x5reduce"], 1), conv(node["b5x5reduce"], node["b5x5"], 5)))
        if node["poolProj"] > 0:
            self.branches.append(nn.Sequential(MaxPool(3, 1, "same", hw), conv(cin, node["poolProj"], 1)))

    def forward(self, x):
        return torch.cat([b(x) for b in self.branches], 1)


class Dense(nn.Module):
    def __init__(self, cin, node):
        super().__init__()
        self.linear = nn.Linear(cin, node["units"])
        self.act = activation(node["activation"])
        self.relu = node["activation"] == "relu"

    def forward(self, x):
        return self.act(self.linear(x))


class Upsample(nn.Module):
    def __init__(self, node):
        super().__init__()
        self.scale, self.mode = node["scale"], node["mode"]

    def forward(self, x):
        if self.mode == "bilinear":
            return F.interpolate(x, scale_factor=self.scale, mode="bilinear", align_corners=False)
        return F.interpolate(x, scale_factor=self.scale, mode="nearest")


class GlobalAvgPool(nn.Module):
    def forward(self, x):
        return x.mean(dim=(2, 3))


def inputs_of(node, previous):
    if node["kind"] == "concat":
        return list(node["inputs"])
    if node["kind"] == "skip":
        return [previous, node["from"]]
    return [previous]


def module_for(node, shape):
    """The module of one node given its (first) input's shape (C, H, W) or (N,); None for concat/skip."""
    kind = node["kind"]
    c, hw = shape[0], tuple(shape[1:3])
    if kind == "conv2d":
        return ConvBlock(c, node["filters"], node["kernel"], node["stride"], node["padding"], node["activation"], node["batchNorm"], hw)
    if kind == "depthwiseConv2d":
        m = node["depthMultiplier"]
        return ConvBlock(c, c * m, node["kernel"], node["stride"], node["padding"], node["activation"], node["batchNorm"], hw, groups=c)
    if kind == "maxPool":
        return MaxPool(node["size"], node["stride"], node["padding"], hw)
    if kind == "avgPool":
        return AvgPool(node["size"], node["stride"], node["padding"], hw)
    if kind == "inception":
        return Inception(c, node, hw)
    if kind == "convTranspose":
        return ConvTranspose(c, node, hw)
    if kind == "upsample":
        return Upsample(node)
    if kind == "globalAvgPool":
        return GlobalAvgPool()
    if kind == "flatten":
        return nn.Flatten()
    if kind == "dense":
        return Dense(c, node)
    if kind == "dropout":
        return nn.Dropout(node["rate"])
    if kind in ("concat", "skip"):
        return None
    raise ValueError(f"layer '{node.get('name')}': unknown node kind '{kind}'")


class Net(nn.Module):
    """The IR's graph: each layer reads the previous output, concat and skip read named ones."""

    def __init__(self, ir):
        super().__init__()
        h, w, c = ir["input"]
        self.ir = ir
        self.plan = []  # (name, input names, module key or None)
        self.layers = nn.ModuleDict()
        shapes = {"input": (1, c, h, w)}
        previous = "input"
        for node in ir["layers"]:
            names = inputs_of(node, previous)
            for n in names:
                if n not in shapes:
                    raise ValueError(f"layer '{node['name']}' reads '{n}', which is not an earlier layer")
            mod = module_for(node, shapes[names[0]][1:])
            key = None
            if mod is not None:
                key = f"l{len(self.plan)}"
                self.layers[key] = mod
            with torch.no_grad():
                xs = [torch.zeros(shapes[n]) for n in names]
                out = torch.cat(xs, 1) if mod is None else mod.eval()(xs[0])
            shapes[node["name"]] = tuple(out.shape)
            self.plan.append((node["name"], names, key))
            previous = node["name"]
        self.output_shape = shapes[previous][1:]

    def forward(self, x):
        values = {"input": x}
        for name, names, key in self.plan:
            xs = [values[n] for n in names]
            values[name] = torch.cat(xs, 1) if key is None else self.layers[key](xs[0])
        return values[self.plan[-1][0]]


def initialise(net, seed, scheme="he"):
    """Seeded He/Glorot-uniform weights, zero biases, batch norm at (1, 0): the trainer's initialisation."""
    g = torch.Generator().manual_seed(seed)

    def uniform(t, limit):
        with torch.no_grad():
            t.copy_((torch.rand(t.shape, generator=g) * 2 - 1) * limit)

    for mod in net.modules():
        owner = mod if isinstance(mod, (ConvBlock, ConvTranspose, Dense)) else None
        if owner is None:
            continue
        layer = owner.conv if hasattr(owner, "conv") else owner.linear
        wt = layer.weight
        if isinstance(layer, nn.Linear):
            fan_in, fan_out = layer.in_features, layer.out_features
        elif isinstance(layer, nn.ConvTranspose2d):
            k = layer.kernel_size[0] * layer.kernel_size[1]
            fan_in, fan_out = k * layer.in_channels, k * layer.out_channels
        else:
            k = layer.kernel_size[0] * layer.kernel_size[1]
            per_group_in = layer.in_channels // layer.groups
            fan_in, fan_out = k * per_group_in, k * layer.out_channels // layer.groups
        he = owner.relu and scheme == "he"
        uniform(wt, math.sqrt(6 / fan_in) if he else math.sqrt(6 / (fan_in + fan_out)))
        if layer.bias is not None:
            nn.init.zeros_(layer.bias)
    for mod in net.modules():
        if isinstance(mod, nn.BatchNorm2d):
            nn.init.ones_(mod.weight)
            nn.init.zeros_(mod.bias)
            mod.reset_running_stats()


def build(ir, seed=0, init="he"):
    net = Net(ir)
    initialise(net, seed, init)
    return net


def count_params(net):
    """Trainable parameters, as libs/arch counts them (batch-norm statistics excluded)."""
    return sum(p.numel() for p in net.parameters() if p.requires_grad)

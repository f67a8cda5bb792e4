"""The model's weights in the layouts of marl-hpo's weight contract (libs/arch weightSpecs, tfjs
NHWC): conv kernels [kh, kw, cin, cout], transposed-conv kernels [kh, kw, cout, cin], depthwise
kernels [kh, kw, c, multiplier], dense kernels [in, units] with rows in NHWC flatten order,
batch-norm gamma/beta/mean/variance. With them the tool's own ONNX exporter (libs/onnx) can
export a torch-trained model, and a tfjs-trained one can be loaded here: the parity tests use
both directions to show this backend computes the function the IR means."""
import torch
import torch.nn as nn

from .model import ConvBlock, ConvTranspose, Dense, Inception

INCEPTION_CONVS = (("b1x1",), ("b3x3reduce", "b3x3"), ("b5x5reduce", "b5x5"), ("poolProj",))


def _named_convs(net):
    """(contract prefix, ConvBlock | ConvTranspose | Dense, kind, shape of the flatten it reads or None)."""
    node_of = {n["name"]: n for n in net.ir["layers"]}
    shapes = {}
    h, w, c = net.ir["input"]
    x = torch.zeros(1, c, h, w)
    values = {"input": x}
    flattened = {}
    with torch.no_grad():
        for name, names, key in net.plan:
            xs = [values[n] for n in names]
            mod = None if key is None else net.layers[key].eval()
            values[name] = torch.cat(xs, 1) if mod is None else mod(xs[0])
            shapes[name] = tuple(values[name].shape[1:])
            node = node_of[name]
            # Which [C, H, W] a vector came from, through flatten and dropout.
            if node["kind"] == "flatten" and len(shapes[names[0]]) == 3:
                flattened[name] = shapes[names[0]]
            elif node["kind"] == "dropout" and names[0] in flattened:
                flattened[name] = flattened[names[0]]
            if mod is None:
                continue
            kind = node["kind"]
            if kind == "inception":
                branches = iter(mod.branches)
                for group in INCEPTION_CONVS:
                    if node[group[-1]] <= 0:
                        continue
                    b = next(branches)
                    blocks = [m for m in (b.modules() if isinstance(b, nn.Sequential) else [b]) if isinstance(m, ConvBlock)]
                    for conv_name, block in zip(group, blocks):
                        yield f"{name}/{conv_name}", block, "conv2d", None
            elif isinstance(mod, (ConvBlock, ConvTranspose)):
                yield name, mod, kind, None
            elif isinstance(mod, Dense):
                yield name, mod, kind, flattened.get(names[0])


def _dense_kernel_to_contract(weight, chw):
    """torch Linear weight [units, C*H*W] (NCHW flatten) -> contract kernel [H*W*C, units]."""
    k = weight.t()
    if chw is None:
        return k
    c, h, w = chw
    return k.reshape(c, h, w, -1).permute(1, 2, 0, 3).reshape(h * w * c, -1)


def _dense_kernel_from_contract(kernel, chw):
    if chw is not None:
        c, h, w = chw
        kernel = kernel.reshape(h, w, c, -1).permute(2, 0, 1, 3).reshape(c * h * w, -1)
    return kernel.t()


def _kernel_names(kind):
    return "depthwise_kernel" if kind == "depthwiseConv2d" else "kernel"


def to_contract(net):
    """{name: {"shape", "data" (flat float32 numpy array)}} in the contract's layouts."""
    out = {}

    def put(name, t):
        t = t.detach().to("cpu", torch.float32).contiguous()
        out[name] = {"shape": list(t.shape), "data": t.flatten().numpy()}

    for prefix, mod, kind, chw in _named_convs(net):
        if kind == "dense":
            put(f"{prefix}/kernel", _dense_kernel_to_contract(mod.linear.weight, chw))
            put(f"{prefix}/bias", mod.linear.bias)
            continue
        wt = mod.conv.weight
        if kind == "depthwiseConv2d":
            cm, _, kh, kw = wt.shape
            c = mod.conv.groups
            put(f"{prefix}/depthwise_kernel", wt.reshape(c, cm // c, kh, kw).permute(2, 3, 0, 1))
        else:  # conv [cout, cin, kh, kw] and transposed [cin, cout, kh, kw] -> [kh, kw, x, y] alike
            put(f"{prefix}/kernel", wt.permute(2, 3, 1, 0))
        if mod.conv.bias is not None:
            put(f"{prefix}/bias", mod.conv.bias)
        if mod.bn is not None:
            put(f"{prefix}/bn/gamma", mod.bn.weight)
            put(f"{prefix}/bn/beta", mod.bn.bias)
            put(f"{prefix}/bn/mean", mod.bn.running_mean)
            put(f"{prefix}/bn/variance", mod.bn.running_var)
    return out


def load_contract(net, weights):
    """Loads contract-layout weights ({name: {"shape", "data"}}) into the model."""

    def get(name):
        if name not in weights:
            raise KeyError(f"weights: missing '{name}'")
        w = weights[name]
        return torch.as_tensor(w["data"], dtype=torch.float32).reshape(w["shape"])

    def assign(param, value):
        if tuple(param.shape) != tuple(value.shape):
            raise ValueError(f"weights: shape {list(value.shape)} does not fit {list(param.shape)}")
        with torch.no_grad():
            param.copy_(value)

    for prefix, mod, kind, chw in _named_convs(net):
        if kind == "dense":
            assign(mod.linear.weight, _dense_kernel_from_contract(get(f"{prefix}/kernel"), chw))
            assign(mod.linear.bias, get(f"{prefix}/bias"))
            continue
        k = get(f"{prefix}/{_kernel_names(kind)}")
        if kind == "depthwiseConv2d":
            kh, kw, c, m = k.shape
            assign(mod.conv.weight, k.permute(2, 3, 0, 1).reshape(c * m, 1, kh, kw))
        else:
            assign(mod.conv.weight, k.permute(3, 2, 0, 1))
        if mod.conv.bias is not None:
            assign(mod.conv.bias, get(f"{prefix}/bias"))
        if mod.bn is not None:
            assign(mod.bn.weight, get(f"{prefix}/bn/gamma"))
            assign(mod.bn.bias, get(f"{prefix}/bn/beta"))
            assign(mod.bn.running_mean, get(f"{prefix}/bn/mean"))
            assign(mod.bn.running_var, get(f"{prefix}/bn/variance"))

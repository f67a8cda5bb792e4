"""Writes small ONNX models for the profiler's tests, and reference MAC counts.

usage: make_models.py <out_dir> <specs.json>
specs: [{"name", "input": [C, H, W], "batch": "N" | int, "layers": [...]}]; layer ops:
conv{out,k,stride,pad,group}, convT{out,k,stride}, relu, bn, maxpool{k,stride}, avgpool{k,stride},
gap, flatten, gemm{out}, matmul{out}, softmax, resize{scale}.
Prints {"<name>": {"macs", "activationBytes", "weightBytes", "nodes"}} computed from python onnx's
shape inference (an independent implementation of the shapes the TypeScript counter infers itself).
"""
import json
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper, shape_inference


def build(spec, rng):
    c, h, w = spec["input"]
    batch = spec.get("batch", "N")
    nodes, inits = [], []
    cur = "input"
    shape = [c, h, w]  # without batch, tracked only for weight shapes

    def weight(name, arr):
        inits.append(numpy_helper.from_array(arr.astype(np.float32), name))
        return name

    for i, layer in enumerate(spec["layers"]):
        op, out = layer["op"], f"t{i}"
        if op == "conv":
            group = layer.get("group", 1)
            k, s, p = layer["k"], layer.get("stride", 1), layer.get("pad", 0)
            wname = weight(f"w{i}", rng.standard_normal((layer["out"], shape[0] // group, k, k)) * 0.1)
            bname = weight(f"b{i}", rng.standard_normal(layer["out"]) * 0.1)
            nodes.append(helper.make_node("Conv", [cur, wname, bname], [out], kernel_shape=[k, k], strides=[s, s], pads=[p] * 4, group=group))
            shape = [layer["out"], (shape[1] + 2 * p - k) // s + 1, (shape[2] + 2 * p - k) // s + 1]
        elif op == "convT":
            k, s = layer["k"], layer["stride"]
            wname = weight(f"w{i}", rng.standard_normal((shape[0], layer["out"], k, k)) * 0.1)
            nodes.append(helper.make_node("ConvTranspose", [cur, wname], [out], kernel_shape=[k, k], strides=[s, s]))
            shape = [layer["out"], (shape[1] - 1) * s + k, (shape[2] - 1) * s + k]
        elif op == "relu":
            nodes.append(helper.make_node("Relu", [cur], [out]))
        elif op == "bn":
            ch = shape[0]
            names = [weight(f"{n}{i}", v) for n, v in (("g", np.ones(ch)), ("be", np.zeros(ch)), ("m", np.zeros(ch)), ("v", np.ones(ch)))]
            nodes.append(helper.make_node("BatchNormalization", [cur, *names], [out]))
        elif op in ("maxpool", "avgpool"):
            k, s = layer["k"], layer.get("stride", layer["k"])
            nodes.append(helper.make_node("MaxPool" if op == "maxpool" else "AveragePool", [cur], [out], kernel_shape=[k, k], strides=[s, s]))
            shape = [shape[0], (shape[1] - k) // s + 1, (shape[2] - k) // s + 1]
        elif op == "gap":
            nodes.append(helper.make_node("GlobalAveragePool", [cur], [out]))
            shape = [shape[0], 1, 1]
        elif op == "flatten":
            nodes.append(helper.make_node("Flatten", [cur], [out], axis=1))
            shape = [int(np.prod(shape))]
        elif op == "gemm":
            wname = weight(f"w{i}", rng.standard_normal((layer["out"], shape[0])) * 0.1)
            bname = weight(f"b{i}", rng.standard_normal(layer["out"]) * 0.1)
            nodes.append(helper.make_node("Gemm", [cur, wname, bname], [out], transB=1))
            shape = [layer["out"]]
        elif op == "matmul":
            wname = weight(f"w{i}", rng.standard_normal((shape[-1], layer["out"])) * 0.1)
            nodes.append(helper.make_node("MatMul", [cur, wname], [out]))
            shape = [*shape[:-1], layer["out"]]
        elif op == "softmax":
            nodes.append(helper.make_node("Softmax", [cur], [out], axis=1))
        elif op == "resize":
            sc = layer["scale"]
            scales = weight(f"s{i}", np.array([1, 1, sc, sc]))
            nodes.append(helper.make_node("Resize", [cur, "", scales], [out], mode="nearest"))
            shape = [shape[0], shape[1] * sc, shape[2] * sc]
        else:
            raise ValueError(f"unknown op {op}")
        cur = out
    nodes.append(helper.make_node("Identity", [cur], ["output"]))
    graph = helper.make_graph(
        nodes, spec["name"],
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [batch, c, h, w])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [batch, *shape])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="make_models.py")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def costs(model, batch):
    """MACs and bytes read/written from python onnx's inferred shapes, with the batch dimension fixed."""
    m = onnx.ModelProto()
    m.CopyFrom(model)
    dim = m.graph.input[0].type.tensor_type.shape.dim[0]
    if dim.dim_param:
        dim.dim_value = batch
    m = shape_inference.infer_shapes(m)
    shapes = {}
    for vi in [*m.graph.input, *m.graph.value_info, *m.graph.output]:
        shapes[vi.name] = [d.dim_value for d in vi.type.tensor_type.shape.dim]
    for t in m.graph.initializer:
        shapes[t.name] = list(t.dims)
    total = 0
    inits = {t.name for t in m.graph.initializer}
    act = wts = 0
    for n in m.graph.node:
        for name in [*n.input, *n.output]:
            if name == "":
                continue
            size = int(np.prod(shapes[name])) * 4
            if name in inits:
                wts += size
            else:
                act += size
        attrs = {a.name: helper.get_attribute_value(a) for a in n.attribute}
        if n.op_type == "Conv":
            w, y = shapes[n.input[1]], shapes[n.output[0]]
            total += int(np.prod(y)) * int(np.prod(w[1:]))
        elif n.op_type == "ConvTranspose":
            x, w = shapes[n.input[0]], shapes[n.input[1]]
            total += int(np.prod(x)) * int(np.prod(w[1:]))
        elif n.op_type in ("Gemm", "MatMul"):
            a, y = shapes[n.input[0]], shapes[n.output[0]]
            k = a[0] if attrs.get("transA", 0) else a[-1]
            total += int(np.prod(y)) * k
    return {"macs": total, "activationBytes": act, "weightBytes": wts, "nodes": len(m.graph.node), "peakActivationBytes": peak_bytes(m, shapes, inits)}


def peak_bytes(m, shapes, inits):
    """Most activation bytes alive at once running the nodes in order: graph inputs kept, each other tensor freed after its last reader."""
    size = lambda name: int(np.prod(shapes[name])) * 4
    last = {}
    for i, n in enumerate(m.graph.node):
        for name in n.input:
            last[name] = i
    for o in m.graph.output:
        last[o.name] = float("inf")
    kept = {vi.name for vi in m.graph.input if vi.name not in inits}
    live = peak = sum(size(name) for name in kept)
    for i, n in enumerate(m.graph.node):
        live += sum(size(o) for o in n.output if o in last)
        peak = max(peak, live)
        live -= sum(size(name) for name in set(n.input) if name and last.get(name) == i and name not in kept and name not in inits)
    return peak


def main():
    out_dir, spec_file = sys.argv[1], sys.argv[2]
    with open(spec_file) as f:
        specs = json.load(f)
    rng = np.random.default_rng(0)
    ref = {}
    for spec in specs:
        model = build(spec, rng)
        onnx.save(model, f"{out_dir}/{spec['name']}.onnx")
        b = spec.get("batch", "N")
        ref[spec["name"]] = costs(model, b if isinstance(b, int) else spec.get("refBatch", 1))
    print(json.dumps(ref))


if __name__ == "__main__":
    main()

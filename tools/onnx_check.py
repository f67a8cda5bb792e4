#!/usr/bin/python3
"""Independent checks of libs/onnx with Debian's python3-onnx 1.12 (run by its jest tests).

  onnx_check.py check FILE...        onnx.checker.check_model(model, full_check=True)
  onnx_check.py same A B [A B ...]   the two files hold equal ModelProtos (protobuf message equality)
  onnx_check.py inspect FILE...      the summary `marl-hpo onnx inspect --json` prints, computed by python onnx
  onnx_check.py tensors FILE...      a model's initializers or a .pb TensorProto, via numpy_helper
  onnx_check.py resave A B [A B ...] parse A with python's protobuf and write it back to B

Prints one JSON line per file (or pair): {"file": ..., "ok": bool, "error"?: str, ...}.
"""
import json
import math
import sys

import onnx
from onnx import numpy_helper


def check(path):
    onnx.checker.check_model(onnx.load(path), full_check=True)
    return {}


def same(a, b):
    return {"equal": onnx.load(a) == onnx.load(b)}


def resave(a, b):
    m = onnx.ModelProto()
    with open(a, "rb") as f:
        m.ParseFromString(f.read())
    with open(b, "wb") as f:
        f.write(m.SerializeToString())
    return {}


def dim(d):
    if d.HasField("dim_value"):
        return d.dim_value
    if d.HasField("dim_param"):
        return d.dim_param
    return None


def elem(tp):
    kind = tp.WhichOneof("value")
    name = onnx.TensorProto.DataType.Name
    if kind == "tensor_type":
        return name(tp.tensor_type.elem_type)
    if kind == "sparse_tensor_type":
        return "sparse_tensor(%s)" % name(tp.sparse_tensor_type.elem_type)
    if kind == "sequence_type":
        return "seq(%s)" % elem(tp.sequence_type.elem_type)
    if kind == "map_type":
        return "map(%s,%s)" % (name(tp.map_type.key_type), elem(tp.map_type.value_type))
    if kind == "optional_type":
        return "optional(%s)" % elem(tp.optional_type.elem_type)
    if kind == "opaque_type":
        return "opaque(%s)" % ".".join(x for x in [tp.opaque_type.domain, tp.opaque_type.name] if x)
    return "UNDEFINED"


def shape(tp):
    kind = tp.WhichOneof("value")
    t = getattr(tp, kind) if kind in ("tensor_type", "sparse_tensor_type") else None
    if t is None or not t.HasField("shape"):
        return None
    return [dim(d) for d in t.shape.dim]


def value_info(v):
    return {"name": v.name, "elemType": elem(v.type), "shape": shape(v.type)}


def graphs(g):
    yield g
    for n in g.node:
        for a in n.attribute:
            if a.HasField("g"):
                yield from graphs(a.g)
            for sub in a.graphs:
                yield from graphs(sub)


def inspect(path):
    m = onnx.load(path, load_external_data=False)
    ops, inits, params = {}, 0, 0
    for g in graphs(m.graph):
        for n in g.node:
            key = n.op_type if n.domain in ("", "ai.onnx") else "%s.%s" % (n.domain, n.op_type)
            ops[key] = ops.get(key, 0) + 1
        for t in g.initializer:
            inits += 1
            params += int(numpy_prod(t.dims))
        for s in g.sparse_initializer:
            inits += 1
            params += int(numpy_prod(s.dims))
    init_names = {t.name for t in m.graph.initializer} | {s.values.name for s in m.graph.sparse_initializer}
    return {
        "irVersion": m.ir_version,
        "opsetImports": [{"domain": o.domain, "version": o.version} for o in m.opset_import],
        "producerName": m.producer_name,
        "inputs": [value_info(v) for v in m.graph.input if v.name not in init_names],
        "outputs": [value_info(v) for v in m.graph.output],
        "opCounts": ops,
        "initializers": inits,
        "params": params,
        "metadata": {p.key: p.value for p in m.metadata_props},
    }


def numpy_prod(dims):
    p = 1
    for d in dims:
        p *= d
    return p


def tensors(path):
    """Initializers of a model, or the TensorProto of a test_data_set .pb file."""
    import numpy as np
    if path.endswith(".pb"):
        t = onnx.TensorProto()
        with open(path, "rb") as f:
            t.ParseFromString(f.read())
        ts = [t]
    else:
        ts = list(onnx.load(path).graph.initializer)
    out = []
    for t in ts:
        a = numpy_helper.to_array(t)
        if t.data_type == onnx.TensorProto.STRING:
            values = [bytes(x).decode("utf-8", "replace") if isinstance(x, bytes) else str(x) for x in a.ravel()]
        elif t.data_type == onnx.TensorProto.FLOAT16:
            values = a.view(np.uint16).ravel().tolist()  # bits, as libs/onnx returns them
        elif a.dtype.kind == "c":
            values = np.stack([a.real, a.imag], -1).astype("float64").ravel().tolist()  # finite in the testdata
        elif a.dtype.kind in "iub":
            values = [int(x) for x in a.ravel()]
        else:
            values = [x if math.isfinite(x) else ("NaN" if math.isnan(x) else ("Infinity" if x > 0 else "-Infinity")) for x in a.astype("float64").ravel().tolist()]
        out.append({"name": t.name, "dataType": t.data_type, "shape": list(a.shape), "values": values})
    return {"tensors": out}


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    jobs = [(args[i], args[i + 1]) for i in range(0, len(args), 2)] if cmd in ("same", "resave") else [(a,) for a in args]
    fn = {"check": check, "same": same, "inspect": inspect, "tensors": tensors, "resave": resave}[cmd]
    for job in jobs:
        try:
            res = {"file": job[0], "ok": True, **fn(*job)}
        except Exception as e:  # report every file, the caller asserts
            res = {"file": job[0], "ok": False, "error": "%s: %s" % (type(e).__name__, str(e).strip().splitlines()[0] if str(e).strip() else "")}
        print(json.dumps(res), flush=True)


if __name__ == "__main__":
    main()

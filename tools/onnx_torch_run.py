#!/usr/bin/python3
"""Runs an ONNX model exported by libs/onnx with PyTorch ops (an ONNX runtime independent of onnxruntime),
for the op set the exporter emits, so its tests can cross-check the exported graphs against PyTorch.

  onnx_torch_run.py MODEL.onnx INPUT.f32 N,C,H,W OUTPUT.f32 [MODEL INPUT DIMS OUTPUT ...]

INPUT.f32 / OUTPUT.f32: raw little-endian float32; the output is the model's first graph output.
"""
import sys

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import numpy_helper


def attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def pad_nchw(x, pads, value=0.0):
    top, left, bottom, right = pads
    return F.pad(x, (left, right, top, bottom), value=value)


def run(model, x):
    env = {t.name: torch.from_numpy(numpy_helper.to_array(t).copy()) for t in model.graph.initializer}
    env[model.graph.input[0].name] = x
    for n in model.graph.node:
        a = attrs(n)
        i = [env[name] if name else None for name in n.input]
        op = n.op_type
        if op == "Constant":
            y = torch.from_numpy(numpy_helper.to_array(a["value"]).copy())
        elif op == "Conv":
            y = F.conv2d(pad_nchw(i[0], a.get("pads", [0] * 4)), i[1], i[2], stride=a["strides"], groups=a.get("group", 1))
        elif op == "ConvTranspose":
            # Full transposed conv, then crop pads[begin] / pads[end] and append output_padding (no tap there: bias only).
            s, (kh, kw) = a["strides"], a["kernel_shape"]
            full = F.conv_transpose2d(i[0], i[1], None, stride=s)
            t, l, b, r = a.get("pads", [0] * 4)
            op_h, op_w = a.get("output_padding", [0, 0])
            full = F.pad(full, (0, op_w, 0, op_h))
            y = full[:, :, t : full.shape[2] - b, l : full.shape[3] - r] + i[2].view(1, -1, 1, 1)
        elif op == "MaxPool":
            y = F.max_pool2d(pad_nchw(i[0], a.get("pads", [0] * 4), float("-inf")), a["kernel_shape"], a["strides"])
        elif op == "AveragePool":
            # count_include_pad 0: divide by the number of real pixels under each window.
            pads = a.get("pads", [0] * 4)
            total = F.avg_pool2d(pad_nchw(i[0], pads), a["kernel_shape"], a["strides"], divisor_override=1)
            ones = torch.ones_like(i[0][:1, :1])
            count = F.avg_pool2d(pad_nchw(ones, pads), a["kernel_shape"], a["strides"], divisor_override=1)
            y = total / count
        elif op == "Resize":
            mode, coords = a["mode"].decode(), a["coordinate_transformation_mode"].decode()
            scale = float(i[2][2])
            if mode == "nearest":
                assert coords == "asymmetric" and a["nearest_mode"].decode() == "floor"
                y = F.interpolate(i[0], scale_factor=scale, mode="nearest")  # src = floor(dst / scale)
            else:
                assert mode == "linear" and coords == "half_pixel"
                y = F.interpolate(i[0], scale_factor=scale, mode="bilinear", align_corners=False)
        elif op == "Concat":
            y = torch.cat(i, a["axis"])
        elif op == "Relu":
            y = torch.relu(i[0])
        elif op == "Sigmoid":
            y = torch.sigmoid(i[0])
        elif op == "Tanh":
            y = torch.tanh(i[0])
        elif op == "GlobalAveragePool":
            y = i[0].mean(dim=(2, 3), keepdim=True)
        elif op == "Flatten":
            y = torch.flatten(i[0], a.get("axis", 1))
        elif op == "Transpose":
            y = i[0].permute(*a["perm"])
        elif op == "Gemm":
            assert not a.get("transA") and not a.get("transB")
            y = i[0] @ i[1] + i[2]
        elif op == "Softmax":
            y = torch.softmax(i[0], a.get("axis", -1))
        else:
            raise SystemExit("onnx_torch_run.py: op %s is not implemented" % op)
        env[n.output[0]] = y
    return env[model.graph.output[0].name]


def main():
    args = sys.argv[1:]
    for k in range(0, len(args), 4):  # one torch import for many models
        model_path, input_path, dims, output_path = args[k : k + 4]
        shape = [int(d) for d in dims.split(",")]
        x = torch.from_numpy(np.fromfile(input_path, dtype="<f4").reshape(shape))
        with torch.no_grad():
            y = run(onnx.load(model_path), x)
        y.numpy().astype("<f4").tofile(output_path)


if __name__ == "__main__":
    main()

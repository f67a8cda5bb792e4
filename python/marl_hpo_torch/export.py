"""The trained model as ONNX with the contract of marl-hpo's best.onnx: opset 17, input 'input'
float32 NCHW [N, C, H, W] with N dynamic, output 'probabilities' (softmax over the class axis:
[N, classes] or [N, classes, H, W])."""
import io
import os
import warnings

import torch
import torch.nn as nn

OPSET = 17
INPUT_NAME = "input"
OUTPUT_NAME = "probabilities"


class WithSoftmax(nn.Module):
    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, x):
        return torch.softmax(self.net(x), dim=1)


def onnx_bytes(net, input_shape):
    """input_shape: the IR's [H, W, C]."""
    h, w, c = input_shape
    model = WithSoftmax(net).to("cpu").eval()
    buf = io.BytesIO()
    with warnings.catch_warnings():
        # torch.onnx warns about constant folding of its own Pad/Slice patterns; harmless.
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model,
            torch.zeros(1, c, h, w),
            buf,
            opset_version=OPSET,
            input_names=[INPUT_NAME],
            output_names=[OUTPUT_NAME],
            dynamic_axes={INPUT_NAME: {0: "N"}, OUTPUT_NAME: {0: "N"}},
            do_constant_folding=True,
        )
    return buf.getvalue()


def write_atomic(path, data):
    """Writes the whole file under a temporary name, fsyncs, renames: never a cut-short file under `path`."""
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)

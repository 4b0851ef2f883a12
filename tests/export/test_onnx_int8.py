import logging

import numpy as np
import onnx
import torch

from soundry.export.onnx import export_onnx, fold_constants, quantize_weights
from soundry.export.vc import export_streaming_onnx, ort_session, run_streaming, streaming_error
from soundry.models.vc import build_vc_model


class _Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.big = torch.nn.Linear(256, 512)
        self.scale = torch.nn.Parameter(torch.rand(512) + 0.5)
        self.small = torch.nn.Linear(512, 8)

    def forward(self, x):
        # a weight computed from parameters: only a plain initializer can be quantized
        h = torch.nn.functional.gelu(torch.nn.functional.linear(x, self.big.weight * self.scale.unsqueeze(1)))
        return self.small(h)


def _ops(path):
    return [n.op_type for n in onnx.load(str(path)).graph.node]


def test_fold_then_quantize_large_matmuls_only(tmp_path):
    import onnxruntime as ort

    torch.manual_seed(0)
    net = _Net().eval()
    x = np.random.default_rng(0).standard_normal((1, 3, 256)).astype(np.float32)   # (B, T, C) as in the converter
    path = export_onnx(net, (torch.from_numpy(x),), tmp_path / "net.onnx", ["x"], ["y"])
    ref = net(torch.from_numpy(x)).detach().numpy()
    assert quantize_weights(path) == 0                 # the big weight is still computed in the graph
    assert fold_constants(path) >= 1
    size = path.stat().st_size
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    assert quantize_weights(path) == 1
    assert (list(root.handlers), root.level) == (handlers, level)   # the quantizer's basicConfig undone
    ops = _ops(path)
    assert ops.count("MatMulNBits") == 1 and "MatMul" in ops      # the 512x8 one stays float32
    assert path.stat().st_size < 0.4 * size
    got = ort.InferenceSession(str(path)).run(None, {"x": x})[0]
    rel = np.sqrt(np.mean((got - ref) ** 2) / np.mean(ref ** 2))
    assert 0 < rel < 1e-2


def test_int8_converter_streams_like_its_whole_file_run(tmp_path):
    torch.manual_seed(0)
    model = build_vc_model("tiny").eval()
    torch.nn.init.normal_(model.generator.head.weight, std=0.3)
    path = tmp_path / "model.onnx"
    meta = export_streaming_onnx(model, path)
    # tiny's matrices are small: quantize them all to exercise the path
    assert quantize_weights(path, min_elements=256, block_size=16) >= 4
    assert "MatMulNBits" in _ops(path)
    t = np.arange(8000) / 16000
    wave = (0.3 * np.sin(2 * np.pi * 180 * t) + 0.01 * np.sin(2 * np.pi * 2500 * t)).astype(np.float32)
    sess = ort_session(path)
    framewise = run_streaming(sess, wave, meta, 1, speaker=1)
    whole = run_streaming(sess, wave, meta, 50, speaker=1)
    assert np.allclose(framewise, whole, atol=1e-4)
    err = streaming_error(model, path, wave, 5, speaker=1)
    assert 0 < err["rel_rms"] < 0.05

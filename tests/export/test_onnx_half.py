import numpy as np
import onnx
import torch
from onnx import TensorProto

from soundry.export.onnx import export_onnx, round_to_half_, store_half
from soundry.export.vc import check_streaming_parity, export_streaming_onnx, ort_session, run_streaming
from soundry.models.vc import build_vc_model


class _Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = torch.nn.Linear(64, 32)
        # a constant float16 cannot hold: must stay float32
        self.register_buffer("scale", torch.full((32, 32), 1.0 / 3.0))

    def forward(self, x):
        return self.lin(x) @ self.scale


def _float_inits(path):
    return {i.name: i.data_type for i in onnx.load(str(path)).graph.initializer}


def test_store_half_is_lossless_and_keeps_other_constants(tmp_path):
    import onnxruntime as ort

    torch.manual_seed(0)
    net = _Net().eval()
    x = np.random.default_rng(0).standard_normal((4, 64)).astype(np.float32)
    full = export_onnx(net, (torch.from_numpy(x),), tmp_path / "full.onnx", ["x"], ["y"])
    before = ort.InferenceSession(str(full)).run(None, {"x": x})[0]
    assert round_to_half_(net) == 64 * 32 + 32
    assert torch.equal(net.lin.weight, net.lin.weight.half().float())
    path = export_onnx(net, (torch.from_numpy(x),), tmp_path / "half.onnx", ["x"], ["y"])
    ref = ort.InferenceSession(str(path)).run(None, {"x": x})[0]
    size = path.stat().st_size
    saved = store_half(path)
    assert saved == 2 * 64 * 32 and path.stat().st_size < size - saved + 1024
    kinds = _float_inits(path)
    assert TensorProto.FLOAT16 in kinds.values() and TensorProto.FLOAT in kinds.values()
    got = ort.InferenceSession(str(path)).run(None, {"x": x})[0]
    assert np.array_equal(got, ref)                     # the casts restore the exact values
    assert 0 < np.max(np.abs(got - before)) < 1e-2      # rounding moved the outputs only a little
    assert store_half(path) == 0                        # nothing left to convert


def test_half_storage_converter_streams_like_its_float32_graph(tmp_path):
    torch.manual_seed(0)
    model = build_vc_model("tiny").eval()
    torch.nn.init.normal_(model.generator.head.weight, std=0.3)
    round_to_half_(model)
    full = export_streaming_onnx(model, tmp_path / "full.onnx")
    meta = export_streaming_onnx(model, tmp_path / "half.onnx", half_storage=True)
    assert full["weight_storage"] == "float32" and meta["weight_storage"] == "float16"
    assert TensorProto.FLOAT16 in _float_inits(tmp_path / "half.onnx").values()
    assert (tmp_path / "half.onnx").stat().st_size < (tmp_path / "full.onnx").stat().st_size
    t = np.arange(8000) / 16000
    wave = (0.3 * np.sin(2 * np.pi * 180 * t)).astype(np.float32)
    controls = dict(speaker=1, pitch_shift=2.0, index_rate=0.0)
    a = run_streaming(ort_session(tmp_path / "full.onnx"), wave, meta, 2, **controls)
    b = run_streaming(ort_session(tmp_path / "half.onnx"), wave, meta, 2, **controls)
    assert np.array_equal(a, b) and np.abs(a).max() > 0.1
    # and torch agrees as closely as it does with any export (oscillator phase drift, see test_vc_export)
    assert check_streaming_parity(model, tmp_path / "half.onnx", wave, chunk_frames=2, atol=1e-3, **controls) < 1e-3

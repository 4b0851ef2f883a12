"""Export helpers shared by recipes: ONNX writing with parity checks, bundle metadata."""

from soundry.export.bundle import BUNDLE_FORMAT_VERSION, write_meta
from soundry.export.onnx import check_onnx_parity, export_onnx

__all__ = ["BUNDLE_FORMAT_VERSION", "write_meta", "export_onnx", "check_onnx_parity"]

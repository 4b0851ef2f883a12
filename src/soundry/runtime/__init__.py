"""Run exported bundles with numpy + onnxruntime only (never torch)."""

from soundry.runtime.bundle import read_meta
from soundry.runtime.classifier import Classifier, Prediction

__all__ = ["read_meta", "Classifier", "Prediction"]

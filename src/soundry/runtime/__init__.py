"""Run exported bundles with numpy + onnxruntime only (never torch)."""

from soundry.runtime.bundle import read_meta
from soundry.runtime.classifier import Classifier, Prediction
from soundry.runtime.live import AudioDeviceError, apply_control, list_audio_devices, live_stream
from soundry.runtime.streaming import SampleFifo, StreamProcessor
from soundry.runtime.vc import VoiceConverter
from soundry.runtime.voices import Voice, read_voices

__all__ = ["read_meta", "Classifier", "Prediction", "VoiceConverter", "Voice", "read_voices",
           "StreamProcessor", "SampleFifo", "AudioDeviceError", "apply_control", "list_audio_devices",
           "live_stream"]

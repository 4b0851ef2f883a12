"""A small, fast CNN audio classifier for CPU users (log-mel front end + conv stack)."""

from soundry.models.cnn.model import AudioCNN
from soundry.models.cnn.presets import CNN_PRESETS, cnn_preset

__all__ = ["AudioCNN", "CNN_PRESETS", "cnn_preset"]

"""Pretrained checkpoint registry and verified downloads (``soundry download NAME``)."""

from soundry.hub.cache import (LOCK_FILENAME, checkpoint_path, default_cache_dir, read_lock,
                               sha256_file, verify)
from soundry.hub.download import fetch, is_offline, manual_instructions
from soundry.hub.registry import REGISTRY, Checkpoint, Source, get_checkpoint, list_checkpoints

__all__ = [
    "LOCK_FILENAME", "REGISTRY", "Checkpoint", "Source", "checkpoint_path", "default_cache_dir",
    "fetch", "get_checkpoint", "is_offline", "list_checkpoints", "manual_instructions",
    "read_lock", "sha256_file", "verify",
]

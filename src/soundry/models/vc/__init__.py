"""Streaming voice conversion model: content encoder, YIN pitch tracker, DDSP voice generator."""

from soundry.models.vc.content import ContentEncoder
from soundry.models.vc.converter import StreamingConverter, frame_energy_db
from soundry.models.vc.generator import VoiceGenerator
from soundry.models.vc.pitch import PitchTracker
from soundry.models.vc.presets import VC_PRESETS, build_vc_model, vc_preset
from soundry.models.vc.retrieval import Retrieval, build_codebook
from soundry.models.vc.synth import FIRPostFilter, HarmonicNoiseSynth, band_noise_table

__all__ = ["ContentEncoder", "StreamingConverter", "frame_energy_db", "VoiceGenerator", "PitchTracker",
           "VC_PRESETS", "build_vc_model", "vc_preset", "Retrieval", "build_codebook", "FIRPostFilter",
           "HarmonicNoiseSynth", "band_noise_table"]

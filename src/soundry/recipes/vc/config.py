"""Configuration of the ``vc`` recipe (streaming voice conversion, many target voices)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from soundry.data import DataConfig
from soundry.recipes.vc_content.augment import AugmentConfig
from soundry.train import TrainConfig


@dataclass
class ModelConfig:
    """Size preset of ``soundry.models.vc`` (tiny, small, base) and the output rate (Hz)."""

    size: str = "small"
    out_rate: int = 24000
    lookahead_frames: int = 0          # joint training only; a checkpoint brings its own


@dataclass
class ContentConfig:
    """Where the content features come from.

    ``checkpoint``: a ``vc-content`` export folder (or run folder); the encoder is frozen.
    Empty: the encoder is trained here, jointly, with CTC on the transcripts (needs
    ``data.slice=false`` so segments keep them) and only CTC updates it (the generator's
    losses never reach it, which keeps the features speaker-independent). ``arch``/``units``/
    ``unit_settings`` are filled at train time.
    """

    checkpoint: str = ""
    ctc_weight: float = 1.0
    phonemizer: str = "auto"
    language: str = "en-us"
    arch: dict[str, Any] = field(default_factory=dict)
    units: list[str] = field(default_factory=list)
    unit_settings: dict[str, Any] = field(default_factory=dict)


@dataclass
class PitchConfig:
    """f0 labels (pyworld, cached per segment), how often the in-graph tracker replaces them, and
    the tracker's voicing threshold (YIN CMND; higher calls more frames voiced; exported with the
    graph)."""

    method: Literal["harvest", "dio"] = "harvest"
    tracker_prob: float = 0.3          # per sample: feed the runtime YIN tracker's f0 instead
    voicing: float = 0.6


@dataclass
class LossConfig:
    """Weights of the generator losses; the GAN starts after ``adv_start_step`` steps."""

    mel: float = 1.0
    loudness: float = 1.0
    adversarial: float = 1.0
    feature_matching: float = 2.0
    adv_start_step: int = 2000
    disc_lr: float = 0.0               # 0: the generator's train.lr
    disc_channels: list[int] = field(default_factory=lambda: [16, 32, 64, 128])
    disc_stft_channels: int = 32


@dataclass
class TaskConfig:
    """Training crops, input augmentation, and the voices (filled from the data's labels)."""

    crop_s: float = 1.0                # the generator's losses run on crops this long
    max_s: float = 6.0                 # joint training: utterances (for CTC) are cut to this
    gain_db: float = 6.0               # random level change of input and target together
    voices: list[str] = field(default_factory=list)
    average_pitch: list[float] = field(default_factory=list)   # MIDI note per voice
    prepared: str = ""                 # the prepared folder (export builds codebooks from it)
    codebook_seconds: float = 120.0    # per voice, for the retrieval codebook


@dataclass
class EvalConfig:
    """Conversions scored at each evaluation (``evaluate`` hook)."""

    metrics: bool = True
    utterances: int = 2
    max_s: float = 3.0
    reference_clips: int = 4
    dnsmos: bool = True
    speaker_similarity: bool = True


@dataclass
class BundleConfig:
    """What ``voices.toml`` says about the model, and how ``model.onnx`` stores its weights."""

    name: str = "soundry-vc"
    description: str = ""
    voice_descriptions: dict[str, str] = field(default_factory=dict)
    portraits: dict[str, str] = field(default_factory=dict)   # voice -> square PNG path
    # the large weight matrices in 8 bits (onnxruntime's MatMulNBits): ~30% faster on one thread and
    # a smaller file; false keeps model.onnx to standard ONNX ops (float16-stored, float32 maths)
    int8: bool = True


def _data() -> DataConfig:
    return DataConfig(sample_rates=[16000, 24000], val_fraction=0.1)


def _train() -> TrainConfig:
    return TrainConfig(steps=10000, batch_size=8, lr=2e-4, warmup_steps=500, lr_decay=0.99995,
                       log_every=20, eval_every=1000, checkpoint_every=500, keep_last=2, clip_norm=10.0)


@dataclass
class Config:
    """Full ``vc`` configuration. ``init_from``: a vc run, checkpoint or export folder to start
    the weights from (fine-tuning); voices that are new get fresh speaker embeddings."""

    data: DataConfig = field(default_factory=_data)
    model: ModelConfig = field(default_factory=ModelConfig)
    content: ContentConfig = field(default_factory=ContentConfig)
    pitch: PitchConfig = field(default_factory=PitchConfig)
    loss: LossConfig = field(default_factory=LossConfig)
    task: TaskConfig = field(default_factory=TaskConfig)
    augment: AugmentConfig = field(default_factory=AugmentConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)
    bundle: BundleConfig = field(default_factory=BundleConfig)
    init_from: str = ""
    train: TrainConfig = field(default_factory=_train)

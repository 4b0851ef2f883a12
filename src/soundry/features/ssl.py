"""Self-supervised speech models (HuBERT, ContentVec, WavLM, wav2vec 2.0) as feature teachers.

``load_ssl_model`` loads one through ``transformers`` from a local folder in the Hugging Face
layout (``config.json`` + ``model.safetensors`` or ``pytorch_model.bin``, optionally
``preprocessor_config.json``) or, only when the name is not a folder, from a hub id.
ContentVec checkpoints converted to the HuBERT layout load as HuBERT (``model_type: hubert``);
their extra ``final_proj`` weights are ignored.

:class:`SSLFeatures` turns 16 kHz audio into hidden states of one transformer layer:

- ``extract``: at the model's own rate. The convolutional front end has a receptive field of
  ``R`` samples and a total stride of ``S`` samples (400 and 320 for the released models: 50
  frames/s, 20 ms); a signal of ``T >= R`` samples gives ``floor((T - R) / S) + 1`` frames
  (per conv layer ``floor((L - k) / s) + 1``), and frame ``j`` covers samples ``[S j, S j + R)``,
  so it is centred on sample ``S j + (R - 1) / 2``. Shorter signals are zero-padded to ``R``.
- ``extract_100hz``: linearly interpolated onto soundry's 10 ms grid
  (:mod:`soundry.features.frames`): ``ceil(T / 160)`` frames, frame ``i`` centred on sample
  ``160 i`` -- the grid of a causal encoder with a 160-sample stride, so teacher frame ``i`` and
  student frame ``i`` describe the same instant. The value at sample ``160 i`` is read between
  the two model frames whose centres surround it; before the first centre and after the last,
  the end frame is held.

Layer ``0`` is the input of the first transformer layer, layer ``k`` the output of layer ``k``;
the last layer is the model's ``last_hidden_state`` (after the final layer norm in "stable
layer norm" models). Torch and transformers are imported only when a model is loaded.
"""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from soundry.errors import AudioError, CheckpointError, ConfigError, MissingDependencyError

SAMPLE_RATE = 16000
HOP_100HZ = 160
SSL_MODEL_CLASSES = {"hubert": "HubertModel", "wavlm": "WavLMModel",
                     "wav2vec2": "Wav2Vec2Model", "data2vec-audio": "Data2VecAudioModel"}
_OFFLINE_VARS = ("SOUNDRY_OFFLINE", "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")


def offline_requested() -> bool:
    """True when ``SOUNDRY_OFFLINE``, ``HF_HUB_OFFLINE`` or ``TRANSFORMERS_OFFLINE`` is set."""
    return any(os.environ.get(v, "").strip().lower() not in ("", "0", "false", "no")
               for v in _OFFLINE_VARS)


def _transformers():
    try:
        import transformers
    except ImportError as exc:
        raise MissingDependencyError(
            "Self-supervised speech features need transformers: pip install transformers "
            "(it uses the torch already installed).") from exc
    return transformers


def _looks_like_path(name: str) -> bool:
    return (os.path.isabs(name) or name.startswith((".", "~")) or name.count("/") > 1
            or os.sep in name.replace("/", "") or os.path.exists(name))


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0].rstrip(".") if text else type(exc).__name__


def _place_files_hint(name: str) -> str:
    folder = "models/" + name.rsplit("/", 1)[-1]
    return (f"Download it where there is internet access (`hf download {name} --local-dir {folder}`, "
            "or huggingface_hub.snapshot_download), copy the folder here and pass its path; it needs "
            "config.json and model.safetensors or pytorch_model.bin")


def _read_do_normalize(source: str, local: bool, local_files_only: bool) -> bool | None:
    try:
        if local:
            path = Path(source) / "preprocessor_config.json"
            if not path.is_file():
                return None
        else:
            from huggingface_hub import hf_hub_download
            path = hf_hub_download(source, "preprocessor_config.json",
                                   local_files_only=local_files_only)
        value = json.loads(Path(path).read_text(encoding="utf-8")).get("do_normalize")
    except Exception:  # optional file: a model without one is still usable
        return None
    return None if value is None else bool(value)


def load_ssl_model(name_or_path: str | os.PathLike, layer: int | None = None, device: str = "cpu",
                   local_files_only: bool | None = None,
                   normalize: bool | None = None) -> SSLFeatures:
    """Load a HuBERT / ContentVec / WavLM / wav2vec 2.0 model as a frozen feature extractor.

    ``name_or_path``: a local folder in the Hugging Face layout, or a hub id such as
    ``"facebook/hubert-base-ls960"`` (downloaded only when it is not a folder here).
    ``layer``: fix the layer to read (negative counts from the end); the layers above it are
    dropped to save time. None keeps all layers and reads the last unless ``extract`` says
    otherwise. ``local_files_only``: for hub ids, use only the local Hugging Face cache;
    None means "if SOUNDRY_OFFLINE / HF_HUB_OFFLINE is set". ``normalize``: zero-mean,
    unit-variance input per utterance; None follows the folder's ``preprocessor_config.json``
    (``do_normalize``), else off. Raises CheckpointError when the model cannot be loaded.
    """
    name = os.fspath(name_or_path)
    local = Path(name).expanduser().is_dir()
    if local:
        name = str(Path(name).expanduser().resolve())
        if not (Path(name) / "config.json").is_file():
            found = sorted(p.name for p in Path(name).iterdir())[:10]
            raise CheckpointError(
                f"{name} has no config.json, so it is not a model folder in the Hugging Face layout "
                f"(found: {found or 'nothing'}). It needs config.json and model.safetensors or "
                "pytorch_model.bin, as written by save_pretrained.")
    elif _looks_like_path(name):
        raise CheckpointError(f"The speech model folder {name} does not exist. "
                              "Pass a folder with config.json and model weights, or a hub id.")
    offline = offline_requested() if local_files_only is None else bool(local_files_only)
    tf = _transformers()
    try:
        config = tf.AutoConfig.from_pretrained(name, local_files_only=offline or local)
    except Exception as exc:
        if local:
            raise CheckpointError(f"Cannot read {name}/config.json: {exc}") from exc
        why = " in offline mode (SOUNDRY_OFFLINE / HF_HUB_OFFLINE / local_files_only)" if offline else ""
        raise CheckpointError(
            f"Could not load the speech model {name!r} from the Hugging Face hub{why}: "
            f"{_first_line(exc)}. "
            f"{_place_files_hint(name)}.") from exc
    model_type = getattr(config, "model_type", None)
    if model_type not in SSL_MODEL_CLASSES:
        raise CheckpointError(
            f"{name} is a {model_type!r} model; soundry reads speech features from "
            f"{sorted(SSL_MODEL_CLASSES)} models (ContentVec in the HuBERT layout counts as hubert).")
    cls = getattr(tf, SSL_MODEL_CLASSES[model_type])
    verbosity = tf.logging.get_verbosity()
    bar = tf.utils.logging.is_progress_bar_enabled()
    tf.logging.set_verbosity_error()  # ContentVec's final_proj and similar extras are expected
    tf.utils.logging.disable_progress_bar()
    try:
        model = cls.from_pretrained(name, config=config, local_files_only=offline or local)
    except Exception as exc:
        where = name if local else f"{name!r} from the Hugging Face hub"
        hint = ("It needs model.safetensors or pytorch_model.bin matching config.json"
                if local else _place_files_hint(name))
        raise CheckpointError(f"Could not load the weights of {where}: "
                              f"{_first_line(exc)}. "
                              f"{hint}.") from exc
    finally:
        tf.logging.set_verbosity(verbosity)
        if bar:
            tf.utils.logging.enable_progress_bar()
    if normalize is None:
        normalize = bool(_read_do_normalize(name, local, offline))
    return SSLFeatures(model, layer=layer, device=device, normalize=normalize, source=name)


class SSLFeatures:
    """A frozen self-supervised speech model that returns one layer's hidden states.

    Input audio is mono float32 at 16 kHz: ``(T,)`` or a zero-padded batch ``(B, T)`` with
    ``lengths`` (valid samples per item). Outputs match the input's type: numpy in, numpy
    out; a torch tensor in, a tensor on the model's device out.
    """

    sample_rate = SAMPLE_RATE

    def __init__(self, model: Any, layer: int | None = None, device: str = "cpu",
                 normalize: bool = False, source: str = ""):
        self.model = model.to(device).eval()
        self.model.requires_grad_(False)
        self.config = model.config
        self.device = device
        self.normalize = normalize
        self.source = source
        self.num_layers = len(model.encoder.layers)
        self.dim = int(self.config.hidden_size)
        self.receptive_field, self.hop_samples = 1, 1
        for k, s in zip(self.config.conv_kernel, self.config.conv_stride):
            self.receptive_field += (k - 1) * self.hop_samples
            self.hop_samples *= s
        # Group norm in the first conv layer spans the whole (padded) signal, so such models
        # (HuBERT/wav2vec 2.0 base) see padding: their items are run one by one instead.
        self.batch_invariant = getattr(self.config, "feat_extract_norm", "layer") != "group"
        self.layer = None if layer is None else self._check_layer(layer)
        self._kept = self.num_layers
        if self.layer is not None and self.layer < self.num_layers:
            # Layers above the one read are never needed: dropping them saves their time.
            model.encoder.layers = model.encoder.layers[:self.layer]
            self._kept = self.layer

    @property
    def frame_rate(self) -> float:
        """Model frames per second (50.0 for the released models)."""
        return self.sample_rate / self.hop_samples

    def __repr__(self) -> str:
        return (f"SSLFeatures({self.source or type(self.model).__name__}, layer={self.layer}, "
                f"dim={self.dim}, {self.frame_rate:g} frames/s)")

    def _check_layer(self, layer: int) -> int:
        n = self.num_layers
        idx = n + 1 + layer if layer < 0 else layer
        if not 0 <= idx <= n:
            raise ConfigError(f"layer={layer} is out of range: this model has layers 0..{n}.")
        return idx

    def num_frames(self, num_samples: int) -> int:
        """Model frames for ``num_samples`` samples (short signals count as ``R`` samples)."""
        n = max(int(num_samples), self.receptive_field)
        for k, s in zip(self.config.conv_kernel, self.config.conv_stride):
            n = (n - k) // s + 1
        return n

    @staticmethod
    def num_frames_100hz(num_samples: int) -> int:
        """10 ms frames for ``num_samples`` samples: ``ceil(T / 160)``."""
        return -(-int(num_samples) // HOP_100HZ)

    def _prepare(self, wave, lengths):
        import torch

        as_numpy = not isinstance(wave, torch.Tensor)
        x = torch.as_tensor(np.asarray(wave, dtype=np.float32) if as_numpy else wave)
        x = x.to(self.device, torch.float32)
        single = x.ndim == 1
        if single:
            x = x[None]
        if x.ndim != 2:
            raise AudioError(f"SSL features need mono 16 kHz audio (T,) or (B, T), got {tuple(x.shape)}.")
        if not bool(torch.isfinite(x).all()):
            raise AudioError("Audio for SSL features contains NaN or infinite samples.")
        if lengths is None:
            lens = [x.shape[1]] * x.shape[0]
        else:
            lens = [int(n) for n in (lengths.tolist() if hasattr(lengths, "tolist") else lengths)]
            if len(lens) != x.shape[0] or any(not 0 <= n <= x.shape[1] for n in lens):
                raise AudioError(f"lengths {lens} do not fit a batch of shape {tuple(x.shape)}.")
        return x, lens, single, as_numpy

    def _run(self, x, lens: list[int], layer: int):
        """(B, T) padded audio -> (B, F, D) hidden states of ``layer`` and frames per item."""
        import torch

        total = max(max(lens, default=0), self.receptive_field)
        if x.shape[1] < total:
            x = torch.nn.functional.pad(x, (0, total - x.shape[1]))
        x = x[:, :total].clone()
        valid = torch.arange(total, device=x.device)[None] < torch.tensor(lens, device=x.device)[:, None]
        x = x * valid
        if self.normalize:
            n = valid.sum(1, keepdim=True).clamp(min=1)
            mean = x.sum(1, keepdim=True) / n
            var = (((x - mean) * valid) ** 2).sum(1, keepdim=True) / n
            x = (x - mean) / torch.sqrt(var + 1e-7) * valid
        eff = [max(n, self.receptive_field) for n in lens]
        frames = [self.num_frames(n) for n in lens]
        mask = torch.arange(total, device=x.device)[None] < torch.tensor(eff, device=x.device)[:, None]
        with torch.no_grad():
            if len(set(eff)) == 1:  # nothing padded: no mask needed
                outs = [self._forward(x, None, layer)]
            elif self.batch_invariant:
                outs = [self._forward(x, mask.long(), layer)]
            else:
                outs = [self._forward(x[i:i + 1, :eff[i]], None, layer) for i in range(len(lens))]
        out = torch.zeros(len(lens), max(frames), self.dim, device=x.device)
        if len(outs) == 1:
            h = outs[0][:, :max(frames)]
            out[:, :h.shape[1]] = h
        else:
            for i, h in enumerate(outs):
                out[i, :frames[i]] = h[0, :frames[i]]
        for i, f in enumerate(frames):
            out[i, f:] = 0.0
        return out, frames

    def _forward(self, x, mask, layer: int):
        with warnings.catch_warnings():
            # WavLM mixes a bool padding mask with a float position bias inside torch.
            warnings.filterwarnings("ignore", message=".*mismatched key_padding_mask.*")
            o = self.model(x, attention_mask=mask, output_hidden_states=True)
        # The last layer is the model's output (with the final layer norm where there is one).
        return o.last_hidden_state if layer == self.num_layers else o.hidden_states[layer]

    def _layer_for(self, layer: int | None) -> int:
        if layer is None:
            return self.layer if self.layer is not None else self.num_layers
        idx = self._check_layer(layer)
        if idx > self._kept:
            raise ConfigError(f"This model was loaded with layer={self.layer}, so layer {layer} is "
                              "gone; load it again with layer=None to read other layers.")
        return idx

    def extract(self, wave, layer: int | None = None, lengths=None):
        """Hidden states at the model's rate: ``(T,)`` -> ``(F, D)``, ``(B, T)`` -> ``(B, F, D)``.

        ``F = num_frames(T)`` (see the module docstring); frames past an item's own length
        are zero. ``layer`` overrides the one given at load time.
        """
        x, lens, single, as_numpy = self._prepare(wave, lengths)
        out, _ = self._run(x, lens, self._layer_for(layer))
        return _finish(out, single, as_numpy)

    def extract_100hz(self, wave, layer: int | None = None, lengths=None):
        """Hidden states on the 10 ms grid: ``(T,)`` -> ``(ceil(T/160), D)``, batches ``(B, F, D)``.

        Linear interpolation between model frames, aligned as the module docstring describes;
        frames past an item's own ``ceil(length / 160)`` are zero.
        """
        import torch

        x, lens, single, as_numpy = self._prepare(wave, lengths)
        feats, frames = self._run(x, lens, self._layer_for(layer))
        n10 = [self.num_frames_100hz(n) for n in lens]
        out = torch.zeros(len(lens), max(n10, default=0), self.dim, device=feats.device)
        centre = (self.receptive_field - 1) / 2.0
        for i, (n, f) in enumerate(zip(n10, frames)):
            pos = (torch.arange(n, device=feats.device, dtype=torch.float64) * HOP_100HZ - centre)
            pos = (pos / self.hop_samples).clamp(0, f - 1)
            lo = pos.floor().long()
            hi = (lo + 1).clamp(max=f - 1)
            w = (pos - lo).to(feats.dtype)[:, None]
            out[i, :n] = feats[i, lo] * (1 - w) + feats[i, hi] * w
        return _finish(out, single, as_numpy)


def _finish(out, single: bool, as_numpy: bool):
    if single:
        out = out[0]
    return out.cpu().numpy().astype(np.float32) if as_numpy else out

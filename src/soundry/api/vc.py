"""Using vc bundles: convert files, stream live, evaluate."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from soundry.errors import DataError


# ---- vc: convert, stream, evaluate

VC_MEASURES = ("f0", "speaker", "dnsmos")


def load_voice_converter(bundle: str | Path, threads: int = 1):
    """Open a ``vc`` bundle: a :class:`soundry.runtime.VoiceConverter` (numpy + onnxruntime)."""
    from soundry.runtime import VoiceConverter

    return VoiceConverter(bundle, threads=threads)


def _convert_targets(inputs: list[Path], outputs, voice_name: str) -> list[Path]:
    outs = [outputs] if isinstance(outputs, (str, Path)) else list(outputs)
    if len(outs) == 1 and (len(inputs) > 1 or Path(outs[0]).is_dir()):
        folder = Path(outs[0])
        if folder.exists() and not folder.is_dir():
            raise DataError(f"{folder} is a file; give a folder for several inputs")
        return [folder / f"{p.stem}-{voice_name}.wav" for p in inputs]
    if len(outs) != len(inputs):
        raise DataError(f"{len(inputs)} input file(s) but {len(outs)} output path(s); "
                        "give one output per input or one folder")
    return [Path(o) for o in outs]


def convert(bundle: str | Path, inputs: str | Path | Iterable[str | Path], outputs,
            voice: str | int, pitch_shift: float = 0.0, formant_shift: float = 0.0,
            index_rate: float = 0.0, auto_pitch: bool = False) -> list[dict[str, Any]]:
    """Convert audio files into ``voice`` of a ``vc`` bundle (numpy + onnxruntime; no torch).

    ``outputs``: one path per input, or one folder (``<folder>/<stem>-<voice>.wav``). Output
    files are at the bundle's ``out_rate`` with the inputs' durations (latency compensated).
    ``pitch_shift``/``formant_shift`` in semitones, ``index_rate`` 0..1; ``auto_pitch`` adds
    the shift that moves each input's average pitch to the voice's. Returns one dict per file:
    ``input, output, voice, pitch_shift`` (semitones used), ``seconds``.
    """
    from soundry.audio import load_audio, save_audio

    vc = load_voice_converter(bundle)
    target = vc.voice(voice)
    files = [Path(inputs)] if isinstance(inputs, (str, Path)) else [Path(p) for p in inputs]
    for f in files:
        if not f.is_file():
            raise DataError(f"no such audio file: {f}")
    done = []
    for src, dst in zip(files, _convert_targets(files, outputs, target.name)):
        audio, sr = load_audio(src)
        shift = pitch_shift + (vc.suggest_pitch_shift(audio, sr, target) if auto_pitch else 0.0)
        y, rate = vc.convert(audio, sr, target, shift, formant_shift, index_rate)
        Path(dst).parent.mkdir(parents=True, exist_ok=True)
        save_audio(dst, y, rate)
        done.append({"input": str(src), "output": str(dst), "voice": target.name,
                     "pitch_shift": float(shift), "seconds": len(y) / rate})
    return done


def list_audio_devices() -> list[dict[str, Any]]:
    """Audio devices for :func:`stream` (index, name, hostapi, inputs, outputs, default rate)."""
    from soundry.runtime import list_audio_devices as devices

    return devices()


def stream(bundle: str | Path, voice: str | int, input: int | str | None = None,
           output: int | str | None = None, block_ms: float = 10.0, pitch_shift: float = 0.0,
           formant_shift: float = 0.0, index_rate: float = 0.0, duration: float | None = None,
           controls: Any = "auto", log=print) -> dict[str, Any]:
    """Live conversion from an input device to an output device (sounddevice / PortAudio).

    ``block_ms``: a multiple of 10 ms per model call; ``controls``: a text stream of control
    lines (``+1``, ``-1``, ``0``, ``f 1``, ``v NAME``, ``q``), ``"auto"`` = stdin on a terminal,
    None = none. Runs until ``q``, Ctrl-C or ``duration`` seconds; returns latency figures (ms)
    and underrun counts.
    """
    from soundry.errors import ConfigError
    from soundry.runtime.live import default_controls, live_stream

    frames = int(round(float(block_ms) / 10.0))
    if frames < 1 or abs(frames * 10.0 - float(block_ms)) > 1e-6:
        raise ConfigError(f"--block-ms must be a multiple of 10 (10, 20, 40...), got {block_ms}")
    vc = load_voice_converter(bundle)
    target = vc.voice(voice)
    return live_stream(vc, target, input, output, frames, pitch_shift, formant_shift, index_rate,
                       duration=duration, controls=default_controls() if controls == "auto" else controls,
                       log=log)


def _eval_sources(data: Path) -> dict[str, list[Path]]:
    from soundry.audio import AUDIO_EXTENSIONS

    if not data.is_dir():
        raise DataError(f"no such data folder: {data} (expected <data>/<speaker>/*.wav)")
    found = {d.name: sorted(p for p in d.rglob("*") if p.suffix.lower() in AUDIO_EXTENSIONS and p.is_file())
             for d in sorted(data.iterdir()) if d.is_dir() and not d.name.startswith(".")}
    found = {k: v for k, v in found.items() if v}
    if not found:
        raise DataError(f"{data} has no audio in speaker folders (expected <data>/<speaker>/*.wav)")
    return found


def evaluate(bundle: str | Path, data: str | Path | None = None, out: str | Path | None = None,
             measures: Sequence[str] = VC_MEASURES, progress: bool = True, auto_pitch: bool = True) -> Path:
    """Convert every utterance of ``data/<speaker>/`` into every voice of a ``vc`` bundle and
    write ``out/report.html`` + ``out/metrics.json``; returns the report's path.

    ``auto_pitch`` (default) shifts each conversion from the utterance's average pitch to the
    voice's, as a host would: without it a male -> female conversion keeps the male pitch and
    the speaker similarity measures the pitch, not the voice. ``spk_sim_gain`` (similarity to
    the target minus to the source) is given for conversions into another speaker's voice.

    Without ``data`` the held-out demo sentences are synthesised into ``out/sources``. Measures:
    ``f0`` (log-f0 correlation and error in cents against the input, lag 0 since outputs are
    latency compensated), ``speaker`` (Resemblyzer similarity of each output to the target
    voice's references: the data's files of the speaker named like the voice, if any, and to
    its own source speaker), ``dnsmos`` (DNSMOS overall quality, 1..5).
    """
    from soundry.audio import load_audio, save_audio
    from soundry.errors import ConfigError, MissingDependencyError
    from soundry.progress import ProgressBar

    unknown = sorted(set(measures) - set(VC_MEASURES))
    if unknown:
        raise ConfigError(f"unknown measure(s) {', '.join(unknown)}; choose from {', '.join(VC_MEASURES)}")
    vc = load_voice_converter(bundle)
    # Absolute paths: the report links audio relative to its own folder, not to the cwd.
    out_dir = (Path(out) if out is not None else Path(bundle) / "eval").resolve()
    data = Path(data).resolve() if data is not None else None
    notes = []
    if data is None:
        from soundry.testing import make_demo_corpus

        data = out_dir / "sources"
        make_demo_corpus(data, sentences=2, seed=1, progress=progress)
        notes.append("inputs: held-out demo sentences (seed 1)")
    sources = _eval_sources(Path(data))
    clips = {spk: [load_audio(p, mono=True) for p in files] for spk, files in sources.items()}
    from soundry import metrics

    encoder, refs = None, {}
    if "speaker" in measures:
        try:
            encoder = metrics.SpeakerEncoder()
            refs = {spk: encoder.embed_speaker([a for a, _ in cl], cl[0][1]) for spk, cl in clips.items()}
        except MissingDependencyError as exc:
            notes.append(f"speaker similarity skipped: {exc}")
            encoder = None
        missing = [v.name for v in vc.voices if v.name not in refs]
        if encoder is not None and missing:
            notes.append(f"no reference audio in the data for voice(s) {', '.join(missing)}: "
                         "their target similarity is left empty")
    rows, audio = [], []
    total = sum(len(f) for f in sources.values()) * len(vc.voices)
    with ProgressBar("evaluate", total, unit="conv", enabled=None if progress else False) as bar:
        for spk, files in sources.items():
            for path, (wave, sr) in zip(files, clips[spk]):
                src_pitch = vc.input_pitch(wave, sr) if auto_pitch else None
                for voice in vc.voices:
                    shift = vc.suggest_pitch_shift(wave, sr, voice, src_pitch) if src_pitch is not None else 0.0
                    y, rate = vc.convert(wave, sr, voice, pitch_shift=shift)
                    dst = save_audio(out_dir / "audio" / f"{spk}-{path.stem}-to-{voice.index}.wav", y, rate)
                    row = {"source_speaker": spk, "utterance": path.stem, "target_voice": voice.name,
                           "pitch_shift_st": round(float(shift), 2)}
                    if "f0" in measures:
                        m = metrics.compare_f0(wave, sr, y, rate, lag_s=0.0, shift_semitones=shift)
                        row.update(f0_corr=m.correlation, f0_rmse_cents=m.rmse_cents)
                    if encoder is not None:
                        emb = encoder.embed(y, rate)
                        if voice.name in refs:
                            row["spk_sim_target"] = float(metrics.speaker_similarity(emb, refs[voice.name]))
                        row["spk_sim_source"] = float(metrics.speaker_similarity(emb, refs[spk]))
                        if voice.name in refs and voice.name != spk:
                            row["spk_sim_gain"] = row["spk_sim_target"] - row["spk_sim_source"]
                    if "dnsmos" in measures:
                        try:
                            row["dnsmos_ovrl"] = metrics.dnsmos(y, rate)["ovrl"]
                        except MissingDependencyError as exc:
                            measures = [m for m in measures if m != "dnsmos"]
                            notes.append(f"DNSMOS skipped: {exc}")
                    rows.append(row)
                    audio.append({"input": path, "output": dst})
                    bar.advance(1)
    return metrics.write_eval_report(out_dir, rows, audio, title=f"soundry vc evaluation: {Path(bundle).name}",
                                     notes=notes)

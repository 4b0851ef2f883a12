"""A small multi-speaker speech corpus, made on the spot (the demo and the tests' data).

Layout written under ``out_dir`` (the folder source's ``root/<label>/<file>`` convention)::

    README.txt                        what this is
    <speaker>/<speaker>_001.wav       16-bit PCM mono at ``sample_rate``
    <speaker>/<speaker>_001.txt       its transcript (one line)

Nothing else is written at the root. Two engines: ``"numpy"`` (:mod:`soundry.testing.synth`,
always available, byte-identical for a seed) and ``"espeak"`` (the espeak-ng program, more
natural; each speaker is a different espeak variant, pitch- and formant-shifted by resampling
because espeak's variants of one sex share the same f0).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from soundry.audio import load_audio, resample, save_audio
from soundry.errors import MissingDependencyError, SoundryError
from soundry.progress import ProgressBar

from .sentences import SENTENCES
from .synth import DEMO_SPEAKERS, SpeakerSpec, synthesize

_README = """Synthetic demo speech corpus made by soundry.testing.make_demo_corpus.

Layout: <speaker>/<speaker>_NNN.wav (16-bit mono) with its transcript in <speaker>_NNN.txt.
Each folder name is the speaker label. Engine: {engine}; sample rate: {rate} Hz; seed: {seed}.
Speakers: {speakers}.
"""


@dataclass(frozen=True)
class CorpusInfo:
    """What :func:`make_demo_corpus` wrote."""

    root: Path
    speakers: tuple[str, ...]
    files: tuple[Path, ...]          # every .wav, speaker by speaker
    sample_rate: int                 # Hz
    total_seconds: float
    engine: str                      # "numpy" or "espeak"

    @property
    def utterances(self) -> int:
        return len(self.files)


def demo_speakers(count: int) -> tuple[SpeakerSpec, ...]:
    """``count`` distinct voices: the 4 :data:`DEMO_SPEAKERS` first, then generated ones
    alternating male-like and female-like with pitch spread over each range."""
    if count < 1:
        raise ValueError(f"need at least one speaker, got {count}")
    specs = list(DEMO_SPEAKERS[:count])
    for i in range(len(specs), count):
        female = i % 2 == 1
        step = (i - 4) // 2
        f0 = (190.0 if female else 95.0) * 2 ** (((step * 5) % 12) / 12.0)
        specs.append(SpeakerSpec(
            name=f"speaker{i + 1:02d}", f0_hz=round(f0, 1), f0_range_semitones=4.0 + step % 3,
            vtl_factor=(0.84 if female else 1.04) - 0.02 * (step % 3),
            breathiness=0.04 + 0.03 * (step % 4), rate=0.9 + 0.05 * (step % 5),
            espeak_voice=f"en+{'f' if female else 'm'}{1 + step % 4}",
            espeak_shift=0.92 + 0.04 * (step % 5)))
    return tuple(specs)


def _pick_sentences(count: int, rng: np.random.Generator) -> list[str]:
    order: list[int] = []
    while len(order) < count:
        order.extend(rng.permutation(len(SENTENCES)).tolist())
    return [SENTENCES[i] for i in order[:count]]


def _espeak(exe: str, text: str, speaker: SpeakerSpec, sample_rate: int,
            workdir: Path) -> np.ndarray:
    """One utterance from espeak-ng, pitch/formant-shifted by ``speaker.espeak_shift``."""
    tmp = workdir / "espeak.wav"
    cmd = [exe, "-v", speaker.espeak_voice, "-s", str(int(round(160 * speaker.rate))),
           "-w", str(tmp), "--stdin"]
    try:
        subprocess.run(cmd, input=text.encode("utf-8"), check=True, capture_output=True,
                       timeout=60)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
        detail = getattr(exc, "stderr", b"") or b""
        raise SoundryError(f"espeak-ng failed for voice {speaker.espeak_voice!r}: "
                           f"{detail.decode(errors='replace').strip() or exc}. "
                           f"Use engine='numpy' instead.") from None
    audio, rate = load_audio(tmp, mono=True)
    # Playing the recording as if it had been made at rate * shift raises pitch and formants
    # together by ``shift`` (and shortens it by the same factor).
    return resample(audio[0], int(round(rate * speaker.espeak_shift)), sample_rate)


def make_demo_corpus(out_dir: str | Path, speakers: tuple[SpeakerSpec, ...] | int = DEMO_SPEAKERS,
                     sentences: int = 30, sample_rate: int = 22050, seed: int = 0,
                     engine: str = "auto", progress: bool = True) -> CorpusInfo:
    """Write a speaker-labelled speech corpus under ``out_dir`` (layout in the module doc).

    ``speakers``: specs or a count (see :func:`demo_speakers`); each speaker says
    ``sentences`` of the built-in sentences, chosen by ``seed``. ``engine``: ``"numpy"``,
    ``"espeak"`` (raises :class:`MissingDependencyError` when espeak-ng is not on PATH) or
    ``"auto"`` (espeak when found, else numpy). Existing files of the same names are replaced;
    nothing else in ``out_dir`` is touched.
    """
    specs = demo_speakers(speakers) if isinstance(speakers, int) else tuple(speakers)
    if len({s.name for s in specs}) != len(specs):
        raise ValueError("speaker names must be unique")
    if engine not in ("auto", "numpy", "espeak"):
        raise ValueError(f"engine must be 'auto', 'numpy' or 'espeak', got {engine!r}")
    exe = shutil.which("espeak-ng") if engine in ("auto", "espeak") else None
    if engine == "espeak" and exe is None:
        raise MissingDependencyError(
            "espeak-ng was not found on PATH; install it (e.g. `apt-get install espeak-ng`) "
            "or use engine='numpy'.")
    used = "espeak" if exe else "numpy"
    root = Path(out_dir)
    root.mkdir(parents=True, exist_ok=True)
    files: list[Path] = []
    total = 0.0
    with tempfile.TemporaryDirectory() as tmpdir, ProgressBar(
            "demo corpus", len(specs) * sentences, unit="utt",
            enabled=None if progress else False) as bar:
        for index, spec in enumerate(specs):
            folder = root / spec.name
            folder.mkdir(exist_ok=True)
            rng = np.random.default_rng([seed, index])
            for n, text in enumerate(_pick_sentences(sentences, rng), start=1):
                if exe:
                    audio = _espeak(exe, text, spec, sample_rate, Path(tmpdir))
                    audio = audio * (0.7 / max(float(np.max(np.abs(audio))), 1e-9))
                else:
                    audio = synthesize(text, spec, sample_rate, seed=seed * 100_003 + n)
                stem = f"{spec.name}_{n:03d}"
                files.append(save_audio(folder / f"{stem}.wav", audio, sample_rate))
                (folder / f"{stem}.txt").write_text(text + "\n", encoding="utf-8")
                total += audio.shape[-1] / sample_rate
                bar.advance()
    (root / "README.txt").write_text(_README.format(
        engine=used, rate=sample_rate, seed=seed,
        speakers=", ".join(s.name for s in specs)), encoding="utf-8")
    return CorpusInfo(root=root, speakers=tuple(s.name for s in specs), files=tuple(files),
                      sample_rate=sample_rate, total_seconds=total, engine=used)

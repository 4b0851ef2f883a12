"""The target voices of a ``vc`` bundle: ``voices.toml`` (docs/formats/vc-bundle.md)."""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from soundry.errors import CheckpointError, SoundryError


@dataclass(frozen=True)
class Voice:
    """One target voice. ``index`` is the graph's ``speaker`` input; ``average_pitch`` is a MIDI
    note (69 = 440 Hz) or None; ``portrait`` the absolute path of its PNG (None if absent)."""

    index: int
    name: str
    description: str = ""
    average_pitch: float | None = None
    portrait: Path | None = None
    portrait_description: str = ""


def _fail(path: Path, what: str) -> CheckpointError:
    return CheckpointError(f"{path}: {what}; re-export the run (`soundry export RUN`) or fix the file")


def _voice(path: Path, root: Path, key: str, entry: Any, n_speakers: int) -> Voice:
    if not key.isdigit() or not isinstance(entry, dict):
        raise _fail(path, f"[voice.{key}] is not a voice table with a numeric index")
    index = int(key)
    if index >= n_speakers:
        raise _fail(path, f"[voice.{key}] is out of range (the model has {n_speakers} voices)")
    name = entry.get("name", f"voice-{index}")
    if not isinstance(name, str) or not name.strip():
        raise _fail(path, f"[voice.{key}] has no usable name")
    pitch = entry.get("average_pitch")
    if pitch is not None and (not isinstance(pitch, (int, float)) or not math.isfinite(pitch)):
        raise _fail(path, f"[voice.{key}] average_pitch must be a number (MIDI note)")
    portrait, portrait_text = None, ""
    if isinstance(entry.get("portrait"), dict):
        rel = entry["portrait"].get("path")
        portrait = (root / rel) if isinstance(rel, str) and rel else None
        portrait_text = str(entry["portrait"].get("description", ""))
    return Voice(index, name.strip(), str(entry.get("description", "")),
                 None if pitch is None else float(pitch), portrait, portrait_text)


def read_voices(bundle: str | Path, n_speakers: int) -> tuple[dict[str, Any], list[Voice]]:
    """``([model] table, voices sorted by index)`` from ``bundle/voices.toml``.

    Raises :class:`CheckpointError` when the file is missing, is not TOML, names a voice twice,
    or a voice index is not below ``n_speakers``.
    """
    root = Path(bundle)
    path = root / "voices.toml"
    if not path.is_file():
        raise CheckpointError(f"{root} has no voices.toml, so its voices are unknown; "
                              "re-export the run with `soundry export RUN`")
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise _fail(path, f"not valid TOML ({exc})") from None
    table = doc.get("voice", {})
    if not isinstance(table, dict) or not table:
        raise _fail(path, "no [voice.N] tables")
    voices = sorted((_voice(path, root, k, v, n_speakers) for k, v in table.items()), key=lambda v: v.index)
    names = [v.name for v in voices]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise _fail(path, f"voice name(s) used twice: {', '.join(dupes)}")
    model = doc.get("model", {})
    return (model if isinstance(model, dict) else {}), voices


def find_voice(voices: list[Voice], choice: Voice | str | int) -> Voice:
    """The voice named ``choice`` (exact, then case-insensitive), or with index ``choice``
    (an int or a string of digits that names no voice). Unknown -> :class:`SoundryError`
    listing the voices."""
    if isinstance(choice, Voice):
        if choice in voices:
            return choice
        choice = choice.name
    if isinstance(choice, str):
        for match in ([v for v in voices if v.name == choice],
                      [v for v in voices if v.name.casefold() == choice.strip().casefold()]):
            if len(match) == 1:
                return match[0]
        if choice.strip().isdigit():
            choice = int(choice.strip())
    if isinstance(choice, int) and not isinstance(choice, bool):
        for v in voices:
            if v.index == choice:
                return v
    listing = ", ".join(f"{v.index}: {v.name}" for v in voices)
    raise SoundryError(f"unknown voice {choice!r}; this bundle has {listing} (pass a name or an index)")

"""Text to phoneme sequences, and the vocabulary a CTC phone extractor is trained against.

Two engines give the units:

- ``"espeak"``: the ``espeak-ng`` program (``apt-get install espeak-ng``) run as
  ``espeak-ng -q --ipa --sep=_ -v <language>`` with the text on stdin (a list of arguments,
  never a shell, and text that cannot be mistaken for an option). It writes one IPA phoneme
  per ``_``-separated unit (multi-letter phonemes such as ``oʊ`` and ``dʒ`` stay whole), words
  separated by spaces and clauses by new lines. Stress marks are dropped by default: they are
  prosody, not identity of the sound. Results are cached per text.
- ``"graphemes"``: no program needed. Letters are lower-cased, accents stripped, and grouped
  into a small inventory: the digraphs in :data:`GRAPHEME_DIGRAPHS` are one unit and a doubled
  consonant is one unit (``"hello"`` -> ``h e l o``). Apostrophes join a word (``it's`` is one
  word) and make no unit; digits are read one by one as English words; every other character
  (punctuation, symbols) is a word boundary.

``"auto"`` uses espeak-ng when it is installed, else graphemes. A trained content encoder keeps
its :class:`PhonemeVocab` (JSON: units, engine, language), so the same units are produced later.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

from soundry.errors import ConfigError, DataError, MissingDependencyError

ENGINES = ("auto", "espeak", "graphemes")
BLANK = "<blank>"
UNKNOWN = "<unk>"
#: Letter pairs that are usually one sound in English spelling; each becomes one unit.
GRAPHEME_DIGRAPHS = frozenset({"ch", "ck", "ee", "ng", "oo", "ph", "sh", "th", "wh"})
_VOWELS = frozenset("aeiou")
_DIGITS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
# Marks espeak writes that are prosody, not phoneme identity (primary/secondary stress).
_STRESS = str.maketrans("", "", "ˈˌ'")
_APT_HINT = "sudo apt-get install espeak-ng (or engine='graphemes', which needs nothing)"


def espeak_path() -> str | None:
    """Path of the ``espeak-ng`` program, or None when it is not on ``PATH``."""
    return shutil.which("espeak-ng")


@functools.lru_cache(maxsize=65536)
def _espeak_words(text: str, language: str, program: str) -> tuple[tuple[str, ...], ...]:
    # A clean environment keeps the user's locale from changing the output encoding.
    env = {**os.environ, "LC_ALL": "C.UTF-8"}
    try:
        done = subprocess.run([program, "-q", "--ipa", "--sep=_", "-v", language, "--stdin"],
                              input=text.encode("utf-8"), capture_output=True, timeout=60,
                              env=env, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise MissingDependencyError(f"Could not run {program}: {exc}. Install it: {_APT_HINT}.") from exc
    err = done.stderr.decode("utf-8", "replace").strip().rstrip(".")
    if done.returncode != 0 or "does not exist" in err or "unknown voice" in err.lower():
        raise ConfigError(
            f"espeak-ng failed for language {language!r}: {err or 'exit code ' + str(done.returncode)}. "
            "List the languages it knows with: espeak-ng --voices")
    out = done.stdout.decode("utf-8", "replace")
    words = []
    for chunk in out.split():
        units = tuple(u for u in chunk.split("_") if u)
        if units:
            words.append(units)
    return tuple(words)


def _spell_digits(text: str) -> str:
    return "".join(f" {_DIGITS[int(c)]} " if c.isdigit() and c.isascii() else c for c in text)


def _grapheme_words(text: str) -> list[list[str]]:
    # NFKD splits accented letters into base letter + combining mark; the marks are dropped.
    text = unicodedata.normalize("NFKD", _spell_digits(text).lower())
    words: list[list[str]] = []
    current: list[str] = []
    for ch in text:
        if unicodedata.combining(ch) or ch in "'’":
            continue
        if ch.isalpha():
            current.append(ch)
        elif current:
            words.append(current)
            current = []
    if current:
        words.append(current)
    return [_group_letters(w) for w in words]


def _group_letters(letters: list[str]) -> list[str]:
    units: list[str] = []
    i = 0
    while i < len(letters):
        pair = "".join(letters[i:i + 2])
        if pair in GRAPHEME_DIGRAPHS:
            units.append(pair)
            i += 2
            continue
        ch = letters[i]
        # A doubled consonant ("ll", "ss") is one sound; doubled vowels other than the
        # digraphs above are kept apart ("aa" in a name is usually two syllables).
        if not (units and units[-1] == ch and ch not in _VOWELS):
            units.append(ch)
        i += 1
    return units


class Phonemizer:
    """Text -> list of phoneme (or grapheme-unit) strings.

    ``engine``: ``"auto"`` | ``"espeak"`` | ``"graphemes"``; ``language``: an espeak-ng voice
    name (``"en-us"``, ``"de"``, ``"fr-fr"``; ignored by graphemes). ``keep_stress`` keeps
    espeak's stress marks on the vowel they precede. ``word_boundary``: a unit inserted
    between words (for example ``"|"``), or None for none. Raises MissingDependencyError when
    ``engine="espeak"`` and espeak-ng is not installed.
    """

    def __init__(self, engine: str = "auto", language: str = "en-us", keep_stress: bool = False,
                 word_boundary: str | None = None):
        if engine not in ENGINES:
            raise ConfigError(f"Unknown phonemizer engine {engine!r}; choose one of {ENGINES}.")
        program = espeak_path()
        if engine == "espeak" and program is None:
            raise MissingDependencyError(
                f"The espeak phonemizer needs the espeak-ng program, which is not installed: {_APT_HINT}.")
        if engine == "auto":
            engine = "espeak" if program is not None else "graphemes"
        self.engine = engine
        self.language = language
        self.keep_stress = keep_stress
        self.word_boundary = word_boundary
        self._program = program

    def __repr__(self) -> str:
        return (f"Phonemizer(engine={self.engine!r}, language={self.language!r}, "
                f"keep_stress={self.keep_stress}, word_boundary={self.word_boundary!r})")

    def settings(self) -> dict:
        """The settings that decide the units (saved with a :class:`PhonemeVocab`)."""
        return {"engine": self.engine, "language": self.language, "keep_stress": self.keep_stress,
                "word_boundary": self.word_boundary}

    def words(self, text: str) -> list[list[str]]:
        """Units of ``text`` grouped by word: ``[["h", "ə", "l", "oʊ"], ["w", "ɜː", "l", "d"]]``."""
        if self.engine == "graphemes":
            return _grapheme_words(text)
        if not text.strip():
            return []
        words = []
        for word in _espeak_words(text, self.language, self._program):
            units = word if self.keep_stress else tuple(u.translate(_STRESS) for u in word)
            units = [u for u in units if u]
            if units:
                words.append(units)
        return words

    def phonemes(self, text: str) -> list[str]:
        """Flat unit sequence of ``text`` (word boundaries inserted if ``word_boundary`` is set)."""
        out: list[str] = []
        for i, word in enumerate(self.words(text)):
            if i and self.word_boundary is not None:
                out.append(self.word_boundary)
            out.extend(word)
        return out

    __call__ = phonemes


class PhonemeVocab:
    """Units <-> integer ids for CTC: id 0 is the CTC blank, id 1 stands for any unknown unit.

    Build one from training transcripts with :meth:`from_texts` (or from unit sequences with
    :meth:`build`), keep it beside the trained model with :meth:`save`, and get the matching
    :class:`Phonemizer` back with :meth:`phonemizer`.
    """

    blank_id = 0
    unknown_id = 1

    def __init__(self, units: Sequence[str], settings: dict | None = None):
        units = [u for u in units if u not in (BLANK, UNKNOWN)]
        if len(set(units)) != len(units):
            dup = sorted(u for u, n in Counter(units).items() if n > 1)
            raise DataError(f"A phoneme vocabulary lists these units twice: {dup}.")
        self.tokens: list[str] = [BLANK, UNKNOWN, *units]
        self._ids = {t: i for i, t in enumerate(self.tokens)}
        self.settings = dict(settings or {})

    @classmethod
    def build(cls, sequences: Iterable[Sequence[str]], min_count: int = 1,
              settings: dict | None = None) -> PhonemeVocab:
        """Vocabulary of every unit seen at least ``min_count`` times, sorted for stable ids."""
        counts = Counter(u for seq in sequences for u in seq)
        return cls(sorted(u for u, n in counts.items() if n >= min_count), settings)

    @classmethod
    def from_texts(cls, texts: Iterable[str], phonemizer: Phonemizer,
                   min_count: int = 1) -> PhonemeVocab:
        """Vocabulary of ``phonemizer``'s units over ``texts`` (transcripts)."""
        return cls.build((phonemizer.phonemes(t) for t in texts), min_count, phonemizer.settings())

    def __len__(self) -> int:
        return len(self.tokens)

    def __contains__(self, unit: object) -> bool:
        return unit in self._ids

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, PhonemeVocab) and self.tokens == other.tokens
                and self.settings == other.settings)

    def __repr__(self) -> str:
        return f"PhonemeVocab({len(self)} tokens, {self.settings})"

    @property
    def units(self) -> list[str]:
        """The real units (without blank and unknown), in id order from 2."""
        return self.tokens[2:]

    def encode(self, units: Sequence[str]) -> list[int]:
        """Ids of ``units``; units not in the vocabulary map to :attr:`unknown_id`."""
        return [self._ids.get(u, self.unknown_id) for u in units]

    def decode(self, ids: Iterable[int]) -> list[str]:
        """Units of ``ids`` (blank and unknown included as ``<blank>`` / ``<unk>``)."""
        return [self.tokens[int(i)] for i in ids]

    def ctc_collapse(self, ids: Iterable[int]) -> list[int]:
        """Greedy CTC decoding of per-frame ids: merge repeats, then drop blanks."""
        out, prev = [], None
        for i in (int(x) for x in ids):
            if i != prev and i != self.blank_id:
                out.append(i)
            prev = i
        return out

    def text_to_ids(self, text: str, phonemizer: Phonemizer | None = None) -> list[int]:
        """Ids of ``text``'s units, with this vocabulary's own phonemizer unless one is given."""
        return self.encode((phonemizer or self.phonemizer()).phonemes(text))

    def phonemizer(self) -> Phonemizer:
        """A :class:`Phonemizer` with the settings this vocabulary was built with."""
        s = self.settings
        return Phonemizer(engine=s.get("engine", "auto"), language=s.get("language", "en-us"),
                          keep_stress=s.get("keep_stress", False),
                          word_boundary=s.get("word_boundary"))

    def to_dict(self) -> dict:
        return {"format": "soundry-phoneme-vocab", "version": 1, "tokens": self.tokens,
                "blank_id": self.blank_id, "unknown_id": self.unknown_id, **self.settings}

    def save(self, path: str | os.PathLike) -> Path:
        """Write the vocabulary as UTF-8 JSON (atomically) and return the path."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(self.to_dict(), ensure_ascii=False, indent=1), encoding="utf-8")
        os.replace(tmp, path)
        return path

    @classmethod
    def load(cls, path: str | os.PathLike) -> PhonemeVocab:
        """Read a vocabulary written by :meth:`save`. Raises DataError if it is not one."""
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise DataError(f"Cannot read the phoneme vocabulary {path}: {exc}.") from exc
        tokens = data.get("tokens") if isinstance(data, dict) else None
        if (not isinstance(tokens, list) or tokens[:2] != [BLANK, UNKNOWN]
                or data.get("format") != "soundry-phoneme-vocab"):
            raise DataError(f"{path} is not a soundry phoneme vocabulary (written by PhonemeVocab.save).")
        settings = {k: data[k] for k in ("engine", "language", "keep_stress", "word_boundary")
                    if k in data}
        return cls(tokens[2:], settings)

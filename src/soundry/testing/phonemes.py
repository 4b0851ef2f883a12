"""Text -> rough phoneme-like units for the numpy demo synthesiser.

Not a real grapheme-to-phoneme converter: a few dozen English spelling rules are enough to
give each sentence its own sequence of vowels, sonorants, fricatives, plosives and pauses, so
utterances differ in content the way real speech does. Formant values are for an adult male
vocal tract (``vtl_factor`` 1.0, after Peterson & Barney's averages); the synthesiser divides
them by the speaker's ``vtl_factor``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Vowel targets F1, F2, F3, F4 in Hz.
VOWELS: dict[str, tuple[float, float, float, float]] = {
    "i": (270, 2290, 3010, 3700), "I": (390, 1990, 2550, 3600), "e": (530, 1840, 2480, 3500),
    "ae": (660, 1720, 2410, 3500), "a": (730, 1090, 2440, 3400), "o": (570, 840, 2410, 3400),
    "U": (440, 1020, 2240, 3300), "u": (300, 870, 2240, 3300), "V": (640, 1190, 2390, 3400),
    "er": (490, 1350, 1690, 3300), "@": (500, 1500, 2500, 3500),
}
DIPHTHONGS = {"ai": ("a", "I"), "ei": ("e", "I"), "au": ("a", "U"), "ou": ("o", "U"),
              "oi": ("o", "I")}
# Sonorants: formant targets and a level relative to vowels.
SONORANTS: dict[str, tuple[tuple[float, float, float, float], float]] = {
    "m": ((250, 1000, 2300, 3300), 0.25), "n": ((250, 1500, 2500, 3400), 0.25),
    "ng": ((250, 2000, 2600, 3400), 0.25), "l": ((360, 1000, 2700, 3500), 0.45),
    "r": ((420, 1250, 1600, 3300), 0.45), "w": ((300, 700, 2200, 3300), 0.4),
    "j": ((280, 2200, 2900, 3600), 0.4),
}
# Fricatives: noise centre Hz, bandwidth Hz, level, voiced.
FRICATIVES: dict[str, tuple[float, float, float, bool]] = {
    "s": (6500, 3500, 0.12, False), "z": (6500, 3500, 0.07, True),
    "sh": (3200, 2000, 0.12, False), "zh": (3200, 2000, 0.07, True),
    "f": (5500, 7000, 0.04, False), "v": (5500, 7000, 0.03, True),
    "th": (6000, 7000, 0.035, False), "h": (0, 0, 0.0, False),
}
# Plosives: burst centre Hz, burst bandwidth Hz, voiced.
PLOSIVES: dict[str, tuple[float, float, bool]] = {
    "p": (900, 1500, False), "b": (900, 1500, True), "t": (4500, 3000, False),
    "d": (4500, 3000, True), "k": (2000, 1500, False), "g": (2000, 1500, True),
}

# Spelling -> unit names, longest first so digraphs win.
_RULES: list[tuple[str, tuple[str, ...]]] = sorted([
    ("ee", ("i",)), ("ea", ("i",)), ("ie", ("i",)), ("oo", ("u",)), ("ou", ("au",)),
    ("ow", ("ou",)), ("ai", ("ei",)), ("ay", ("ei",)), ("ey", ("ei",)), ("oa", ("ou",)),
    ("oi", ("oi",)), ("oy", ("oi",)), ("au", ("o",)), ("aw", ("o",)), ("er", ("er",)),
    ("ir", ("er",)), ("ur", ("er",)), ("ar", ("a", "r")), ("or", ("o", "r")),
    ("igh", ("ai",)), ("sh", ("sh",)), ("ch", ("t", "sh")), ("th", ("th",)), ("ph", ("f",)),
    ("ng", ("ng",)), ("ck", ("k",)), ("qu", ("k", "w")), ("wh", ("w",)), ("tion", ("sh", "@", "n")),
    ("a", ("ae",)), ("e", ("e",)), ("i", ("I",)), ("o", ("o",)), ("u", ("V",)), ("y", ("I",)),
    ("b", ("b",)), ("c", ("k",)), ("d", ("d",)), ("f", ("f",)), ("g", ("g",)), ("h", ("h",)),
    ("j", ("d", "zh")), ("k", ("k",)), ("l", ("l",)), ("m", ("m",)), ("n", ("n",)),
    ("p", ("p",)), ("q", ("k",)), ("r", ("r",)), ("s", ("s",)), ("t", ("t",)), ("v", ("v",)),
    ("w", ("w",)), ("x", ("k", "s")), ("z", ("z",)),
], key=lambda rule: -len(rule[0]))

PAUSE_WORD = "_"      # between words: a short gap, no full silence in connected speech
PAUSE_PHRASE = ","    # comma, semicolon, colon, dash
PAUSE_END = "."       # sentence end


@dataclass(frozen=True)
class Word:
    """One spelled word as unit names, and the pause that follows it."""

    units: tuple[str, ...]
    pause: str


def _word_units(word: str) -> list[str]:
    w = word.lower()
    # A final silent "e" (make, time) lengthens the vowel before it instead of sounding.
    if len(w) > 2 and w.endswith("e") and w[-2] not in "aeiouy" and re.search(r"[aeiou]", w[:-1]):
        w = w[:-1]
    units: list[str] = []
    i = 0
    while i < len(w):
        if not w[i].isalpha():
            i += 1
            continue
        if w[i] == "c" and i + 1 < len(w) and w[i + 1] in "eiy":
            units.append("s")  # soft c: city, face
            i += 1
            continue
        if w[i] == "y" and i == 0 and len(w) > 1:
            units.append("j")  # consonant y: yes, you
            i += 1
            continue
        for spelling, names in _RULES:
            if w.startswith(spelling, i):
                # Doubled consonants (ll, ss, tt) sound once.
                if not (len(spelling) == 1 and units and names == (units[-1],)
                        and names[0] not in VOWELS):
                    units.extend(names)
                i += len(spelling)
                break
        else:
            i += 1
    return units


def text_to_words(text: str) -> list[Word]:
    """Split ``text`` into :class:`Word` items with unit names and following pauses."""
    words: list[Word] = []
    for token, punct in re.findall(r"([A-Za-z']+)([^A-Za-z']*)", text):
        units = tuple(_word_units(token))
        if not units:
            continue
        if any(c in punct for c in ".!?"):
            pause = PAUSE_END
        elif any(c in punct for c in ",;:-"):
            pause = PAUSE_PHRASE
        else:
            pause = PAUSE_WORD
        words.append(Word(units, pause))
    return words


def unit_kind(name: str) -> str:
    """``"vowel"``, ``"diphthong"``, ``"sonorant"``, ``"fricative"`` or ``"plosive"``."""
    if name in VOWELS:
        return "vowel"
    if name in DIPHTHONGS:
        return "diphthong"
    if name in SONORANTS:
        return "sonorant"
    if name in FRICATIVES:
        return "fricative"
    if name in PLOSIVES:
        return "plosive"
    raise KeyError(name)

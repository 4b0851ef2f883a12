"""Text -> phonemes (graphemes always; espeak-ng when installed) and the CTC vocabulary."""

import shutil

import pytest

from soundry.errors import ConfigError, DataError, MissingDependencyError
from soundry.features import phonemes as ph
from soundry.features.phonemes import BLANK, UNKNOWN, Phonemizer, PhonemeVocab

needs_espeak = pytest.mark.skipif(
    shutil.which("espeak-ng") is None,
    reason="espeak-ng is not installed (apt-get install espeak-ng); the grapheme engine is tested instead")


def test_graphemes_group_digraphs_doubles_and_boundaries():
    p = Phonemizer("graphemes")
    assert p.words("Hello, WORLD! It's the thing...") == [
        ["h", "e", "l", "o"], ["w", "o", "r", "l", "d"], ["i", "t", "s"], ["th", "e"],
        ["th", "i", "ng"]]
    assert p.phonemes("Café 42") == ["c", "a", "f", "e", "f", "o", "u", "r", "t", "w", "o"]
    assert p.phonemes("wheel-chair book") == ["wh", "ee", "l", "ch", "a", "i", "r", "b", "oo", "k"]
    assert p.phonemes("  ?! ") == []


def test_graphemes_are_deterministic_and_word_boundary_is_optional():
    text = "She sells sea shells; the shells she sells are surely seashells."
    a, b = Phonemizer("graphemes"), Phonemizer("graphemes")
    assert a.phonemes(text) == b.phonemes(text)
    marked = Phonemizer("graphemes", word_boundary="|").phonemes("a cat, sat")
    assert marked == ["a", "|", "c", "a", "t", "|", "s", "a", "t"]


def test_unknown_engine_and_missing_espeak(monkeypatch):
    with pytest.raises(ConfigError, match="engine"):
        Phonemizer("festival")
    monkeypatch.setattr(ph, "espeak_path", lambda: None)
    with pytest.raises(MissingDependencyError, match="apt-get install espeak-ng"):
        Phonemizer("espeak")
    assert Phonemizer("auto").engine == "graphemes"


def test_vocab_ids_blank_unknown_and_ctc_collapse():
    p = Phonemizer("graphemes")
    vocab = PhonemeVocab.from_texts(["the cat", "a hat"], p)
    assert vocab.tokens[:2] == [BLANK, UNKNOWN]
    assert (vocab.blank_id, vocab.unknown_id) == (0, 1)
    assert vocab.units == sorted(set(vocab.units)) == ["a", "c", "e", "h", "t", "th"]
    ids = vocab.text_to_ids("the bat")
    assert ids[2] == vocab.unknown_id and vocab.decode(ids) == ["th", "e", UNKNOWN, "a", "t"]
    # frames: c c _ a a _ a t -> "c a a t" (a blank separates the repeated a)
    c, a, t = vocab.encode(["c", "a", "t"])
    assert vocab.ctc_collapse([c, c, 0, a, a, 0, a, t]) == [c, a, a, t]
    assert PhonemeVocab.build([["x", "y", "x"]], min_count=2).units == ["x"]


def test_vocab_round_trip_keeps_ids_and_phonemizer(tmp_path):
    p = Phonemizer("graphemes", word_boundary="|")
    vocab = PhonemeVocab.from_texts(["Über naïve café", "the end"], p)
    path = vocab.save(tmp_path / "vocab" / "phonemes.json")
    back = PhonemeVocab.load(path)
    assert back == vocab and back.tokens == vocab.tokens
    assert back.phonemizer().settings() == p.settings()
    assert back.text_to_ids("the cafe") == vocab.text_to_ids("the cafe", p)


def test_vocab_load_rejects_other_files(tmp_path):
    bad = tmp_path / "x.json"
    bad.write_text('{"tokens": ["a", "b"]}')
    with pytest.raises(DataError, match="not a soundry phoneme vocabulary"):
        PhonemeVocab.load(bad)
    with pytest.raises(DataError, match="Cannot read"):
        PhonemeVocab.load(tmp_path / "missing.json")
    with pytest.raises(DataError, match="twice"):
        PhonemeVocab(["a", "a"])


@needs_espeak
def test_espeak_gives_ipa_phonemes_per_word():
    p = Phonemizer("espeak", "en-us")
    words = p.words("Hello world, it's the thing!")
    assert words == [["h", "ə", "l", "oʊ"], ["w", "ɜː", "l", "d"], ["ɪ", "t", "s"], ["ð", "ə"],
                     ["θ", "ɪ", "ŋ"]]
    assert "ˈ" in "".join(Phonemizer("espeak", keep_stress=True).phonemes("hello"))
    assert Phonemizer("auto").engine == "espeak"
    # text that looks like an option is read as text, not obeyed
    assert p.phonemes("-v --help") and p.phonemes("") == []


@needs_espeak
def test_espeak_other_language_and_bad_voice():
    assert Phonemizer("espeak", "de").phonemes("Tag") == ["t", "ɑː", "k"]
    with pytest.raises(ConfigError, match="espeak-ng --voices"):
        Phonemizer("espeak", "xx-nope").phonemes("hi")

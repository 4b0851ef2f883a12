"""A deterministic source-filter speech synthesiser in numpy (the demo corpus's voices).

text -> phoneme-like units (:mod:`soundry.testing.phonemes`) -> per-sample control tracks
(f0, voicing, aspiration, frication, formants F1..F4) -> a Rosenberg glottal pulse train with
small jitter and shimmer plus aspiration noise, shaped by a formant envelope, plus frication
noise shaped by a band-pass envelope. Filtering is done frame by frame in the STFT domain
(zero-phase envelopes, weighted overlap-add) so one utterance costs a few milliseconds.

It sounds like a buzzy robot reading aloud, which is what the tests and the demo need: clear
speaker identity (f0 range, vocal-tract length, breathiness, speaking rate), changing
phonetic content, pauses at word and phrase boundaries, a sentence intonation contour.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np

from .phonemes import (DIPHTHONGS, FRICATIVES, PAUSE_END, PAUSE_PHRASE, PLOSIVES, SONORANTS,
                       VOWELS, text_to_words, unit_kind)


@dataclass(frozen=True)
class SpeakerSpec:
    """A synthetic voice.

    ``f0_hz``: typical pitch (Hz); ``f0_range_semitones``: the intonation span;
    ``vtl_factor``: vocal-tract length relative to an adult male (formants divide by it, so
    > 1 is darker, ~0.85 is female-like); ``breathiness``: aspiration noise, 0..0.3;
    ``rate``: speaking rate multiplier (1 = about 12 phones/s). ``espeak_voice`` and
    ``espeak_shift`` are used by the espeak engine: the voice variant and a resampling
    factor that moves pitch and formants together (espeak's own variants share one f0).
    """

    name: str
    f0_hz: float
    f0_range_semitones: float = 4.0
    vtl_factor: float = 1.0
    breathiness: float = 0.05
    rate: float = 1.0
    espeak_voice: str = "en"
    espeak_shift: float = 1.0


#: Two male-like and two female-like voices, clearly apart in pitch and timbre. With espeak
#: (whose variants speak at about 91, 101, 188 and 199 Hz) the shifts give medians of about
#: 91, 116, 197 and 229 Hz.
DEMO_SPEAKERS: tuple[SpeakerSpec, ...] = (
    SpeakerSpec("arthur", 102.0, 4.0, 1.08, 0.04, 0.92, "en+m1", 1.0),
    SpeakerSpec("bruno", 124.0, 5.0, 0.98, 0.10, 1.10, "en+m3", 1.15),
    SpeakerSpec("clara", 205.0, 5.0, 0.87, 0.15, 1.00, "en+f2", 1.05),
    SpeakerSpec("diana", 238.0, 6.0, 0.81, 0.06, 1.12, "en+f5", 1.15),
)

_BANDWIDTHS = np.array([80.0, 100.0, 150.0, 220.0])   # formant bandwidths, Hz
_DUR = {"vowel": 0.085, "diphthong": 0.15, "sonorant": 0.06, "fricative": 0.095,
        "closure": 0.05, "burst": 0.012, "aspiration": 0.035, "h": 0.06}
_PAUSE = {PAUSE_PHRASE: 0.18, PAUSE_END: 0.25}
_MAX_S, _MIN_S = 3.8, 1.6


@dataclass
class _Seg:
    dur: float
    voice: float = 0.0
    asp: float = 0.0
    fric: float = 0.0
    fric_centre: float = 0.0
    fric_bw: float = 0.0
    accent: float = 0.0
    formants: tuple = ()        # ((position 0..1, (F1..F4)), ...)


def _segments(text: str, speaker: SpeakerSpec, rng: np.random.Generator) -> list[_Seg]:
    segs = [_Seg(rng.uniform(0.15, 0.3))]
    for word in text_to_words(text):
        stressed = True
        for idx, name in enumerate(word.units):
            kind = unit_kind(name)
            jitter = rng.uniform(0.8, 1.25) / speaker.rate
            last = idx == len(word.units) - 1 and word.pause in _PAUSE
            if kind in ("vowel", "diphthong"):
                accent = rng.uniform(1.0, 2.5) if stressed and rng.random() < 0.6 else 0.0
                stressed = False
                keys = ((0.5, VOWELS[name]),) if kind == "vowel" else (
                    (0.2, VOWELS[DIPHTHONGS[name][0]]), (0.8, VOWELS[DIPHTHONGS[name][1]]))
                dur = _DUR[kind] * jitter * (1.5 if last else 1.0)  # phrase-final lengthening
                segs.append(_Seg(dur, voice=1.0, accent=accent, formants=keys))
            elif kind == "sonorant":
                target, level = SONORANTS[name]
                segs.append(_Seg(_DUR[kind] * jitter, voice=level, formants=((0.5, target),)))
            elif name == "h":
                segs.append(_Seg(_DUR["h"] * jitter, asp=0.4))
            elif kind == "fricative":
                centre, bw, level, voiced = FRICATIVES[name]
                segs.append(_Seg(_DUR[kind] * jitter, voice=0.3 if voiced else 0.0, fric=level,
                                 fric_centre=centre, fric_bw=bw))
            else:
                centre, bw, voiced = PLOSIVES[name]
                segs.append(_Seg(_DUR["closure"] * jitter, voice=0.06 if voiced else 0.0))
                segs.append(_Seg(_DUR["burst"], voice=0.2 if voiced else 0.0,
                                 fric=0.15 if voiced else 0.25, fric_centre=centre, fric_bw=bw))
                if not voiced:
                    segs.append(_Seg(_DUR["aspiration"] * jitter, asp=0.3))
        if word.pause in _PAUSE:
            segs.append(_Seg(_PAUSE[word.pause] * rng.uniform(0.8, 1.2)))
    segs.append(_Seg(rng.uniform(0.2, 0.35)))
    return segs


def _box(x: np.ndarray, width: int) -> np.ndarray:
    """Moving average over ``width`` samples (centred), via a running sum."""
    if width <= 1:
        return x
    c = np.concatenate([[0.0], np.cumsum(x)])
    half = width // 2
    idx = np.arange(x.shape[0])
    lo = np.clip(idx - half, 0, x.shape[0])
    hi = np.clip(idx - half + width, 0, x.shape[0])
    return (c[hi] - c[lo]) / (hi - lo)


def _stft_filter(x: np.ndarray, envelope_fn, n_fft: int) -> np.ndarray:
    """Filter ``x`` (T,) with a per-frame magnitude envelope (frames, bins) by WOLA."""
    hop = n_fft // 4
    win = np.sqrt(0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n_fft) / n_fft))
    n = x.shape[0]
    n_frames = -(-(n + n_fft) // hop) + 1
    padded = np.zeros((n_frames - 1) * hop + n_fft)
    padded[n_fft:n_fft + n] = x
    frames = np.lib.stride_tricks.sliding_window_view(padded, n_fft)[::hop]
    centres = np.arange(frames.shape[0]) * hop + n_fft // 2 - n_fft
    spec = np.fft.rfft(frames * win, axis=1) * envelope_fn(np.clip(centres, 0, n - 1))
    out_frames = np.fft.irfft(spec, n=n_fft, axis=1) * win
    out = np.zeros(padded.shape[0] + n_fft)
    # Frames r, r+4, r+8... do not overlap (hop = n_fft / 4): add each such set in one go.
    for r in range(4):
        block = out_frames[r::4].reshape(-1)
        out[r * hop:r * hop + block.shape[0]] += block
    return out[n_fft:n_fft + n] / 2.0  # sqrt-Hann squared at 75 % overlap sums to 2


def synthesize(text: str, speaker: SpeakerSpec, sample_rate: int = 22050,
               seed: int = 0) -> np.ndarray:
    """Speak ``text`` with ``speaker``: ``(T,)`` float32 at ``sample_rate`` Hz, peak <= 0.9.

    Deterministic for a given ``(text, speaker, sample_rate, seed)``. Utterances last about
    1.6-3.8 s (speaking rate is adjusted within limits to fit).
    """
    rng = np.random.default_rng(
        [seed, zlib.crc32(speaker.name.encode()), zlib.crc32(text.encode())])
    segs = _segments(text, speaker, rng)
    speech = sum(s.dur for s in segs[1:-1])
    scale = float(np.clip(_MAX_S / (speech + 0.5), 0.6, 1.0) if speech + 0.5 > _MAX_S else 1.0)
    durs = np.array([s.dur * (scale if 0 < i < len(segs) - 1 else 1.0)
                     for i, s in enumerate(segs)])
    short = _MIN_S - durs.sum()
    if short > 0:
        durs[-1] += short
    lengths = np.maximum(1, np.round(durs * sample_rate).astype(np.int64))
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    n = int(lengths.sum())
    sr = sample_rate

    def track(attr: str, smooth_s: float) -> np.ndarray:
        values = np.repeat([getattr(s, attr) for s in segs], lengths).astype(np.float64)
        return _box(values, int(smooth_s * sr))

    voice, asp, fric = track("voice", 0.012), track("asp", 0.008), track("fric", 0.004)
    fric_centre = np.repeat([s.fric_centre for s in segs], lengths)
    fric_bw = np.repeat([s.fric_bw for s in segs], lengths)

    # Formant tracks: key points at the sounding units, straight lines in between (which is
    # also how consonants without their own targets pick up their neighbours' formants).
    key_x, key_f = [], []
    for s, a, length in zip(segs, starts, lengths):
        for pos, target in s.formants:
            key_x.append(a + pos * length)
            key_f.append(target)
    if not key_x:
        key_x, key_f = [0.0], [VOWELS["@"]]
    key_f = np.asarray(key_f, dtype=np.float64) / speaker.vtl_factor

    # Intonation in semitones: declination over the utterance, accents on stressed vowels,
    # slow random drift (jitter proper is per period, below).
    t = np.arange(n) / sr
    semis = speaker.f0_range_semitones * (0.4 - 0.8 * t / t[-1])
    semis = semis + _box(track("accent", 0.0), int(0.08 * sr))
    semis = semis + 0.3 * _box(rng.standard_normal(n), int(0.05 * sr)) * np.sqrt(0.05 * sr)
    if np.any(voice > 0.5):  # centre the contour so the voiced median is the speaker's f0
        semis -= np.median(semis[voice > 0.5])
    f0 = speaker.f0_hz * 2.0 ** (semis / 12.0)

    phase = np.cumsum(f0) / sr
    n_periods = int(phase[-1]) + 2
    period = np.floor(phase).astype(np.int64)
    frac = phase - period
    frac = frac * (1.0 + 0.01 * rng.standard_normal(n_periods))[period]    # jitter
    open_q, close_q = 0.4 + speaker.breathiness * 0.5, 0.16
    flow = np.where(frac < open_q, 0.5 * (1 - np.cos(np.pi * np.minimum(frac, open_q) / open_q)),
                    np.where(frac < open_q + close_q,
                             np.cos(0.5 * np.pi * (frac - open_q) / close_q), 0.0))
    flow = flow * (1.0 + 0.05 * rng.standard_normal(n_periods))[period]      # shimmer
    pulses = np.diff(flow, prepend=0.0)
    pulses /= np.sqrt(np.mean(pulses[voice > 0.5] ** 2)) if np.any(voice > 0.5) else 1.0
    noise_a, noise_b = rng.standard_normal(n), rng.standard_normal(n)
    breath = speaker.breathiness * 2.0 * voice * (0.4 + flow)
    source = voice * pulses + (asp + breath) * noise_a

    nyq = sr / 2.0
    n_fft = int(2 ** np.round(np.log2(0.023 * sr)))
    freqs = np.fft.rfftfreq(n_fft, 1.0 / sr)

    def formant_env(idx: np.ndarray) -> np.ndarray:
        formants = np.stack([np.interp(idx, key_x, key_f[:, k]) for k in range(4)], axis=1)
        formants = np.minimum(formants, 0.95 * nyq)[:, :, None]
        bw = (_BANDWIDTHS * (1.0 + speaker.breathiness))[None, :, None]
        f = freqs[None, None, :]
        h = np.prod(formants ** 2 / np.sqrt((formants ** 2 - f ** 2) ** 2 + (bw * f) ** 2), 1)
        return h / np.sqrt(np.mean(h ** 2, axis=1, keepdims=True))

    def fric_env(idx: np.ndarray) -> np.ndarray:
        centre = np.where(fric_centre[idx] > 0, fric_centre[idx], 3000.0)
        centre = np.minimum(centre, 0.8 * nyq)[:, None]
        bw = np.where(fric_bw[idx] > 0, fric_bw[idx], 3000.0)[:, None]
        h = np.exp(-0.5 * ((freqs[None, :] - centre) / (0.5 * bw)) ** 2) + 0.005
        return h / np.sqrt(np.mean(h ** 2, axis=1, keepdims=True))

    out = _stft_filter(source, formant_env, n_fft) + _stft_filter(fric * noise_b, fric_env, n_fft)
    out += 10 ** (-68 / 20) * rng.standard_normal(n)   # a recording's noise floor
    peak = np.max(np.abs(out))
    out *= rng.uniform(0.55, 0.9) / peak
    return out.astype(np.float32)

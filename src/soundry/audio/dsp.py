"""Channel, rate and filter operations on ``(C, T)`` float32 arrays."""

from __future__ import annotations

import numpy as np

# A down-mix whose energy is this far below the channels' own energy, after allowing for
# the 1/C drop that uncorrelated channels give anyway, is treated as phase cancellation.
_CANCEL_RATIO = 0.1


def _as_2d(audio: np.ndarray) -> tuple[np.ndarray, bool]:
    arr = np.asarray(audio)
    if arr.ndim == 1:
        return arr[None, :], True
    if arr.ndim != 2:
        raise ValueError(f"audio must have shape (C, T) or (T,), got {arr.shape}")
    return arr, False


def resample(audio: np.ndarray, sr_in: int, sr_out: int, quality: str = "HQ") -> np.ndarray:
    """Resample ``(C, T)`` or ``(T,)`` from ``sr_in`` to ``sr_out`` Hz with soxr.

    Output length is ``T * sr_out / sr_in`` samples rounded (halves up, as soxr does); the
    shape keeps its rank.
    ``quality`` is a soxr preset: ``"QQ"``, ``"LQ"``, ``"MQ"``, ``"HQ"`` or ``"VHQ"``.
    """
    import soxr

    arr, was_1d = _as_2d(audio)
    sr_in, sr_out = int(sr_in), int(sr_out)
    if sr_in <= 0 or sr_out <= 0:
        raise ValueError(f"sample rates must be positive, got {sr_in} -> {sr_out}")
    if sr_in == sr_out:
        out = arr.astype(np.float32, copy=True)
    elif arr.shape[1] == 0:
        out = np.zeros((arr.shape[0], 0), np.float32)
    else:
        # soxr wants (T, C); it processes every channel with the same filter.
        out = soxr.resample(np.ascontiguousarray(arr.T, dtype=np.float32), sr_in, sr_out,
                            quality=quality).T
        out = np.ascontiguousarray(out, dtype=np.float32)
    return out[0] if was_1d else out


def to_mono(audio: np.ndarray) -> np.ndarray:
    """Down-mix ``(C, T)`` (or ``(T,)``) to ``(1, T)`` float32.

    Normally the mean of the channels. When the mean has lost most of the channels' energy
    (out-of-phase stereo, e.g. a badly wired microphone, where the mean is near silence), the
    single loudest channel is returned instead. The test is global over the file: the mean's
    energy is compared to ``0.1 / C`` times the average channel energy (uncorrelated channels
    alone lose a factor ``C``, so they still get the mean).
    """
    arr, _ = _as_2d(audio)
    arr = arr.astype(np.float32, copy=False)
    if arr.shape[0] == 1:
        return arr.copy()
    mean = arr.mean(axis=0, dtype=np.float64)
    channel_energy = np.einsum("ct,ct->c", arr, arr, dtype=np.float64)
    mean_energy = float(np.dot(mean, mean))
    avg_energy = float(channel_energy.mean())
    if avg_energy > 0 and mean_energy < _CANCEL_RATIO * avg_energy / arr.shape[0]:
        return arr[int(np.argmax(channel_energy))][None, :].copy()
    return mean.astype(np.float32)[None, :]


HIGHPASS_ORDER = 5


def highpass_sos(sample_rate: int, cutoff_hz: float = 48.0, order: int = HIGHPASS_ORDER) -> np.ndarray:
    """Second-order sections ``(ceil(order / 2), 6)`` of :func:`highpass`'s Butterworth filter
    (``b0 b1 b2 a0 a1 a2`` per row, scipy's layout), for hosts that filter block by block."""
    from scipy.signal import butter

    nyquist = sample_rate / 2.0
    if not 0 < cutoff_hz < nyquist:
        raise ValueError(f"cutoff_hz must be between 0 and {nyquist} Hz, got {cutoff_hz}")
    return butter(order, cutoff_hz, btype="highpass", fs=sample_rate, output="sos")


def highpass(audio: np.ndarray, sample_rate: int, cutoff_hz: float = 48.0,
             order: int = HIGHPASS_ORDER) -> np.ndarray:
    """Causal Butterworth high-pass of ``(C, T)`` or ``(T,)``; same shape, float32.

    Causal (``sosfilt``, one pass) like RVC's preprocessing: no output before an input event,
    so onsets are not smeared backwards. Removes rumble and DC below ``cutoff_hz`` Hz.
    """
    from scipy.signal import sosfilt

    sos = highpass_sos(sample_rate, cutoff_hz, order)
    arr = np.asarray(audio)
    if arr.shape[-1] == 0:
        return arr.astype(np.float32, copy=True)
    return sosfilt(sos, arr.astype(np.float64), axis=-1).astype(np.float32)

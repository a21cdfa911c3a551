"""HDR to SDR: a 3D LUT from PQ or HLG BT.2020 R'G'B' to BT.709 SDR R'G'B' (BT.2390 tone curve).

A phone's HDR clip (iPhone: HEVC 10-bit, BT.2020, HLG or PQ) shown on an SDR screen as if its
code values were BT.709 looks grey and flat. The LUT maps each R'G'B' triple the way BT.2408 and
BT.2390 describe: to display light (PQ EOTF, or the HLG inverse OETF and OOTF), BT.2020 to BT.709
primaries, the BT.2390 EETF on the brightest channel (hues kept) from the source's peak to SDR's
reference white, then the BT.1886 (gamma 2.4) encoding an SDR screen expects. PyAV's FFmpeg has
no zscale, so FFmpeg's own tone mapping cannot be used; its lut3d filter applies this file.
"""
from __future__ import annotations

import functools
import hashlib
import os
import tempfile

import numpy as np

PQ, HLG = 16, 18  # AVColorTransferCharacteristic numbers: SMPTE ST 2084, ARIB STD-B67
SDR_WHITE = 203.0  # nits: HDR reference white (BT.2408), shown as SDR's 100 %
SOURCE_PEAK = 1000.0  # nits: what phones and most HDR masters reach when nothing says otherwise
LUT_SIZE = 33
HLG_GAMMA = 1.2  # HLG system gamma at a 1000-nit display (BT.2100)

# BT.2020 to BT.709 primaries, linear light (BT.2087).
BT2020_TO_709 = np.array([[1.6605, -0.5876, -0.0728],
                          [-0.1246, 1.1329, -0.0083],
                          [-0.0182, -0.1006, 1.1187]])

_M1, _M2 = 2610 / 16384, 2523 / 4096 * 128
_C1, _C2, _C3 = 3424 / 4096, 2413 / 4096 * 32, 2392 / 4096 * 32


def is_hdr(transfer: int) -> bool:
    """Whether a transfer characteristic is one this module tone-maps."""
    return transfer in (PQ, HLG)


def pq_to_nits(signal: np.ndarray) -> np.ndarray:
    """SMPTE ST 2084 EOTF: code value in [0, 1] to display light in nits."""
    p = np.power(np.clip(signal, 0, 1), 1 / _M2)
    return 10000 * np.power(np.maximum(p - _C1, 0) / (_C2 - _C3 * p), 1 / _M1)


def nits_to_pq(nits: np.ndarray | float) -> np.ndarray:
    """SMPTE ST 2084 inverse EOTF: display light in nits to a code value in [0, 1]."""
    y = np.power(np.clip(np.asarray(nits, dtype=np.float64) / 10000, 0, 1), _M1)
    return np.power((_C1 + _C2 * y) / (1 + _C3 * y), _M2)


def hlg_to_nits(rgb: np.ndarray, peak: float = SOURCE_PEAK) -> np.ndarray:
    """HLG inverse OETF then OOTF (BT.2100): R'G'B' rows in [0, 1] to display light in nits."""
    a, b, c = 0.17883277, 0.28466892, 0.55991073
    e = np.clip(rgb, 0, 1)
    scene = np.where(e <= 0.5, e * e / 3, (np.exp((e - c) / a) + b) / 12)
    # BT.2100 luminance of the scene (BT.2020 weights), raised by the system gamma.
    ys = scene @ np.array([0.2627, 0.6780, 0.0593])
    return peak * scene * np.power(np.maximum(ys, 1e-12), HLG_GAMMA - 1)[:, None]


def eetf(nits: np.ndarray, source_peak: float = SOURCE_PEAK, target_peak: float = SDR_WHITE) -> np.ndarray:
    """BT.2390 EETF in the PQ domain: below the knee unchanged, above it rolled off to target_peak."""
    top = nits_to_pq(source_peak)
    e1 = np.clip(nits_to_pq(nits) / top, 0, 1)
    max_lum = nits_to_pq(target_peak) / top
    knee = 1.5 * max_lum - 0.5
    t = np.clip((e1 - knee) / (1 - knee), 0, 1)
    rolled = ((2 * t**3 - 3 * t**2 + 1) * knee + (t**3 - 2 * t**2 + t) * (1 - knee)
              + (-2 * t**3 + 3 * t**2) * max_lum)
    return pq_to_nits(np.where(e1 < knee, e1, rolled) * top)


def sdr_from_hdr(rgb: np.ndarray, transfer: int, source_peak: float = SOURCE_PEAK) -> np.ndarray:
    """Rows of BT.2020 R'G'B' (PQ or HLG) in [0, 1] to BT.709 SDR R'G'B' in [0, 1]."""
    light = pq_to_nits(rgb) if transfer == PQ else hlg_to_nits(rgb, source_peak)
    light = np.maximum(light @ BT2020_TO_709.T, 0)  # out-of-gamut parts clipped
    brightest = light.max(axis=1)
    mapped = eetf(brightest, source_peak)
    ratio = np.divide(mapped, brightest, out=np.zeros_like(brightest), where=brightest > 1e-6)
    relative = np.clip(light * ratio[:, None] / SDR_WHITE, 0, 1)
    return np.power(relative, 1 / 2.4)  # BT.1886: SDR screens decode with gamma 2.4


def cube_text(transfer: int, size: int = LUT_SIZE) -> str:
    """The LUT as an Adobe/Resolve .cube file (red varies fastest), as FFmpeg's lut3d reads it."""
    steps = np.linspace(0, 1, size)
    b, g, r = np.meshgrid(steps, steps, steps, indexing="ij")
    rgb = np.stack([r.ravel(), g.ravel(), b.ravel()], axis=1)
    out = sdr_from_hdr(rgb, transfer)
    lines = [f"LUT_3D_SIZE {size}"] + [f"{x:.6f} {y:.6f} {z:.6f}" for x, y, z in out]
    return "\n".join(lines) + "\n"


@functools.lru_cache(maxsize=4)
def cube_path(transfer: int) -> str:
    """A .cube file for this transfer in the temp dir, written once per content (atomic rename)."""
    text = cube_text(transfer)
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    path = os.path.join(tempfile.gettempdir(), f"gallery-hdr-{transfer}-{digest}.cube")
    if not os.path.exists(path):
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), suffix=".cube.tmp")
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
        os.replace(tmp, path)
    return path

"""The ID watermark: a 32-bit number (the id of the output's audit record) hidden in the speech, readable after
lossy coding, resampling, cropping, gain changes and added noise. Pure numpy/scipy, deterministic.

Carrier: the log energy of time-frequency cells, 20 mel-spaced BANDS from 120 Hz to 4.5 kHz by 16 ms frames.
A block is BLOCK_FRAMES frames (0.67 s); a fixed pseudo-random table gives each of its cells to one of 140
coded bits, with a sign. Many bands make the block short, and a short block is what lets a short output carry
the id: about a second of speech holds each coded bit at least once, wherever the words fall (12 bands from
250 Hz to 3 kHz needed 1.12 s blocks, and outputs under 2 s, or halves under 4 s, then failed now and then).
Bands above 4.5 kHz would shorten the block further, but white noise drowns speech there first (at 17 dB
SNR, 24 bands to 6 kHz decoded 5/32 renders, these 20 bands 13/32).
A coded bit is the signed sum of its 6 cells' log energies (balanced signs: a gain change cancels), quantised
by spread-transform dither modulation (ST-DM, step DELTA_DB): the embedder nudges those cells' gains until
the sum sits on its bit's lattice. The host's own sum is moved rather than fought, so speech does not
drown the bits (informed embedding); gains scale what is there, so digital silence stays silent.
Payload: 32-bit id + CRC-32, scrambled, convolutional code K=7 rate 1/2 (terminated): 140 coded bits.
Blocks repeat back to back from the first sample of each marked piece, so any 0.67 s excerpt of one piece
holds every coded bit (cyclically shifted); pieces marked apart (streamed chunks) each have their own phase.

Detection tries every block phase on a 2 ms grid (SUB_OFFSETS x BLOCK_FRAMES = 336 phases). Per window it
computes a synchronisation z-score: at the right phase every bit sits on one of its two lattices, so
cos(4 pi (sum - dither) / DELTA_DB) is high whatever the id (~N(0, 1) on unmarked audio). Windows of one
phase are soft-combined, weighted by that z, Viterbi-decoded, and the id accepted only if its CRC-32 holds.
False positives: one decode per phase, each passing the CRC with P = 2^-32 on unmarked audio, so
P(false id) <= 336 * 2^-32 = 7.8e-8 per clip, whatever its length.
"""

from __future__ import annotations

import binascii
from dataclasses import dataclass
from functools import cache
from math import gcd

import numpy as np

from vocalis.audio import Audio

# --- the mark's layout: changing any of these changes the mark, and old outputs would no longer decode
_SEED = 0x5EC1D  # the pattern's key
BAND_EDGES_HZ = (120, 200, 290, 380, 490, 600, 730, 870, 1020, 1180, 1360, 1560, 1780, 2020, 2290, 2580, 2890,
                 3240, 3620, 4040, 4500)
FRAME_S = 0.032  # analysis frame; cells advance by half of it (16 ms)
BLOCK_FRAMES = 42
CELLS_PER_BIT = 6
INFO_BITS = 64  # id + CRC-32
_POLYS = (0o133, 0o171)  # the K=7 NASA code
_K = 7
CODED_BITS = 2 * (INFO_BITS + _K - 1)
DELTA_DB = 4.0  # ST-DM quantisation step of a coded bit's cell sum
# A cell's log energy is floored at FLOOR_FRAME of its frame's mean band energy plus FLOOR_LOCAL of the
# loudest frame within +-LOCAL_FRAMES: quiet cells, which noise and codecs rewrite, then hardly count.
FLOOR_FRAME = 10 ** (-15 / 10)
FLOOR_LOCAL = 10 ** (-25 / 10)
LOCAL_FRAMES = 30
FLOOR_ABS = 1e-10  # digital silence, and the near-silence codecs decode it to, read alike
# A gain on a cell costs (its energy / the loudest of its bit's cells) ** COST_POWER: the embedder leans on
# the quieter cells of a bit, which changes far less signal than moving them all alike (+6 dB of mark SNR: ~20 dB).
COST_POWER = 0.6
MAX_GAIN_DB = 3.0  # no cell is changed by more
ITERATIONS = 4  # overlapping frames blur each cell's gain into its neighbours; each pass corrects that
# --- detection
DETECT_RATE = 16_000
SUB_OFFSETS = 8  # start offsets tried per 16 ms cell: a 2 ms grid (a 2 ms error halves the sync score)


@dataclass(frozen=True)
class IdMark:
    id: int
    sync_z: float  # the best window's synchronisation z-score (unmarked audio: ~N(0, 1); clean renders: 7-14)
    windows: int  # block-long windows at the decoded phase that showed the mark (z > 3)


@cache
def _layout() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """For one block, cells ordered by coded bit: their band, frame and sign (balanced within a bit, unit
    norm); and each coded bit's dither."""
    rng = np.random.default_rng(_SEED)
    bands = len(BAND_EDGES_HZ) - 1
    cells = rng.permutation(bands * BLOCK_FRAMES)[: CODED_BITS * CELLS_PER_BIT]
    signs = [rng.permutation(np.repeat([1.0, -1.0], CELLS_PER_BIT // 2)) for _ in range(CODED_BITS)]
    band, frame = np.divmod(cells, BLOCK_FRAMES)
    return band, frame, np.concatenate(signs) / np.sqrt(CELLS_PER_BIT), rng.uniform(0, DELTA_DB, CODED_BITS)


@cache
def _scramble() -> np.ndarray:
    """XORed onto the payload, so that no constant signal decodes to a valid word (e.g. all zeros)."""
    return np.random.default_rng(_SEED + 1).integers(0, 2, INFO_BITS)


def _crc(mark_id: int) -> int:
    return binascii.crc32(mark_id.to_bytes(4, "big"), _SEED)


def _payload(mark_id: int) -> np.ndarray:
    word = (mark_id << 32) | _crc(mark_id)
    return np.array([(word >> (INFO_BITS - 1 - i)) & 1 for i in range(INFO_BITS)], np.int64) ^ _scramble()


def _conv_encode(bits: np.ndarray) -> np.ndarray:
    state, out = 0, []
    for b in np.concatenate([bits, np.zeros(_K - 1, np.int64)]):
        reg = (int(b) << (_K - 1)) | state
        out += [bin(reg & g).count("1") & 1 for g in _POLYS]
        state = reg >> 1
    return np.array(out, np.int64)


@cache
def _trellis() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each next state: its two predecessor states, the coded pair (+-1, +1 = bit 0) of each
    transition, and the input bit that leads to it."""
    n = 1 << (_K - 1)
    nxt = np.arange(n)
    prev = np.stack([((nxt & (n // 2 - 1)) << 1) | x for x in (0, 1)], axis=1)
    inbit = nxt >> (_K - 2)
    reg = (inbit[:, None] << (_K - 1)) | prev
    parity = np.vectorize(lambda r: bin(r).count("1") & 1)
    sym = np.stack([parity(reg & g) for g in _POLYS], axis=2)
    return prev, 1.0 - 2.0 * sym, inbit


def _viterbi(soft: np.ndarray) -> np.ndarray:
    """(words, coded bits) soft values (> 0: bit 0) -> (words, info bits), maximum-correlation paths."""
    prev, sym, inbit = _trellis()
    words, n = soft.shape[0], prev.shape[0]
    metric = np.full((words, n), -np.inf)
    metric[:, 0] = 0.0
    picks = []
    rows = np.arange(words)[:, None]
    for t in range(soft.shape[1] // 2):
        cand = metric[:, prev] + np.einsum("spc,wc->wsp", sym, soft[:, 2 * t: 2 * t + 2])
        pick = np.argmax(cand, axis=2)
        picks.append(pick)
        metric = np.take_along_axis(cand, pick[:, :, None], axis=2)[:, :, 0]
    state = np.zeros(words, np.int64)  # terminated: every path ends in state 0
    bits = []
    for pick in reversed(picks):
        bits.append(inbit[state])
        state = prev[state, pick[rows[:, 0], state]]
    return np.stack(bits[::-1], axis=1)[:, : INFO_BITS]


def _ids(soft: np.ndarray) -> list[int | None]:
    """Decode (words, coded bits); an id where its CRC holds."""
    out: list[int | None] = []
    for bits in _viterbi(soft) ^ _scramble():
        word = int("".join(map(str, bits)), 2)
        mark_id = word >> 32
        out.append(mark_id if _crc(mark_id) == word & 0xFFFFFFFF else None)
    return out


def _frame_len(sample_rate: int) -> int:
    return 2 * round(FRAME_S * sample_rate / 2)


@cache
def _band_bins(sample_rate: int) -> tuple[np.ndarray, np.ndarray]:
    """For this rate's frame: each bin's band (-1 outside the bands), and where each band starts among the
    bins inside."""
    freqs = np.fft.rfftfreq(_frame_len(sample_rate), 1 / sample_rate)
    band_of = np.searchsorted(BAND_EDGES_HZ, freqs, side="right") - 1
    band_of[(freqs < BAND_EDGES_HZ[0]) | (freqs >= BAND_EDGES_HZ[-1])] = -1
    inside = band_of[band_of >= 0]
    return band_of, np.searchsorted(inside, np.arange(len(BAND_EDGES_HZ) - 1))


def _frames(x: np.ndarray, n: int, hop: int) -> np.ndarray:
    count = max(0, (len(x) - n) // hop + 1)
    return np.lib.stride_tricks.sliding_window_view(x, n)[::hop][:count]


def _band_energy(x: np.ndarray, sample_rate: int, hop: int) -> np.ndarray:
    """(bands, frames) energies of Hann-windowed frames every `hop` samples."""
    n = _frame_len(sample_rate)
    spec = np.fft.rfft(_frames(x, n, hop) * np.hanning(n + 1)[:-1], axis=1)
    band_of, starts = _band_bins(sample_rate)
    return np.add.reduceat(np.abs(spec[:, band_of >= 0]) ** 2, starts, axis=1).T


def _log_cells(energy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Floored log energy (dB) of (bands, frames) cells, and how much each follows a gain put on it (1 for
    loud cells, 0 for floored ones). The floors are relative: a common gain shifts every cell alike."""
    mean = energy.mean(axis=0)
    local = np.lib.stride_tricks.sliding_window_view(np.pad(mean, LOCAL_FRAMES), 2 * LOCAL_FRAMES + 1).max(axis=1)
    floor = (FLOOR_FRAME * mean + FLOOR_LOCAL * local + FLOOR_ABS)[None, :]
    return 10 * np.log10(energy + floor), energy / (energy + floor)


def _per_bit(cells: np.ndarray, starts: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """(windows, coded bits): sum over each coded bit's cells of cells x weights, for blocks at `starts`."""
    band, frame, _, _ = _layout()
    vals = cells[band[None, :], frame[None, :] + starts[:, None]] * weights
    return vals.reshape(len(starts), CODED_BITS, CELLS_PER_BIT).sum(axis=2)


def embed_id(samples: np.ndarray, sample_rate: int, mark_id: int) -> np.ndarray:
    """`samples` carrying `mark_id` (0 <= id < 2^32), same length; blocks start at its first sample."""
    if not 0 <= mark_id < 1 << 32:
        raise ValueError(f"mark id {mark_id} does not fit in 32 bits")
    x = np.asarray(samples, np.float32)
    if not np.any(x):
        return x
    n = _frame_len(sample_rate)
    hop = n // 2
    count = -(-max(len(x) - n, 0) // hop) + 1
    padded = np.concatenate([x, np.zeros((count - 1) * hop + n - len(x), np.float32)]).astype(np.float64)
    window = np.sqrt(np.hanning(n + 1)[:-1])  # periodic sqrt-Hann in and out: the pair sums to 1 at 50 %
    spec = np.fft.rfft(_frames(padded, n, hop) * window, axis=1)
    band_of, _ = _band_bins(sample_rate)
    inside = band_of >= 0
    band, frame, sign, dither = _layout()
    offset = dither + _conv_encode(_payload(mark_id)) * (DELTA_DB / 2)  # bit 1: the lattice shifted by half
    blocks = -(-count // BLOCK_FRAMES)  # the last one partial: its missing cells read as silent
    starts = np.arange(blocks) * BLOCK_FRAMES
    rows, cols = band[None, :], frame[None, :] + starts[:, None]
    gain_db = np.zeros((len(BAND_EDGES_HZ) - 1, blocks * BLOCK_FRAMES))
    mark = np.zeros_like(padded)
    for _ in range(ITERATIONS):
        energy = np.zeros_like(gain_db)
        energy[:, :count] = _band_energy(padded + mark, sample_rate, hop)
        logc, follow = _log_cells(energy)
        sums = _per_bit(logc, starts, sign)
        target = np.round((sums - offset) / DELTA_DB) * DELTA_DB + offset
        # the least-cost gain change (in dB, over the bit's cells) that moves the sum onto its target
        slope = (follow[rows, cols] * sign).reshape(blocks, CODED_BITS, CELLS_PER_BIT)
        level = (energy[rows, cols] + 1e-20).reshape(blocks, CODED_BITS, CELLS_PER_BIT)
        cost = (level / level.max(axis=2, keepdims=True)) ** COST_POWER
        norm = np.maximum((slope**2 / cost).sum(axis=2, keepdims=True), 1e-3)
        step = (target - sums)[:, :, None] * (slope / cost) / norm
        gain_db[rows, cols] = np.clip(gain_db[rows, cols] + step.reshape(blocks, -1), -MAX_GAIN_DB, MAX_GAIN_DB)
        factor = np.zeros(spec.shape)
        factor[:, inside] = 10 ** (gain_db[band_of[inside], :count].T / 20) - 1
        frames = np.fft.irfft(spec * factor, n, axis=1) * window
        mark = np.zeros_like(padded)
        for k in range(2):  # overlap-add: even frames, then odd frames, never overlap among themselves
            mark[k * hop: k * hop + len(frames[k::2]) * n] += frames[k::2].ravel()
    # fade the mark out over the last hop: a piece that ends mid-speech (a low-latency part) then meets the
    # next piece's mark, which starts from zero, without a step
    mark = mark[: len(x)]
    fade = min(hop, len(x))
    mark[len(x) - fade:] *= np.cos(np.linspace(0, np.pi / 2, fade)) ** 2
    return (x + mark).astype(np.float32)


def detect_id(audio: Audio) -> IdMark | None:
    """The id in `audio` (any rate; any excerpt of a marked output holding about a second or more of speech
    from one marked piece), or None."""
    x = np.asarray(audio.samples, np.float64)
    if audio.sample_rate != DETECT_RATE:
        g = gcd(DETECT_RATE, audio.sample_rate)
        from scipy.signal import resample_poly  # only reading marks resamples

        x = resample_poly(x, DETECT_RATE // g, audio.sample_rate // g)
    n = _frame_len(DETECT_RATE)
    if len(x) < n:
        return None
    energy = _band_energy(x, DETECT_RATE, n // 2 // SUB_OFFSETS)
    _, _, sign, dither = _layout()
    soft, peak, seen = [], [], []
    for o in range(SUB_OFFSETS):
        logc, follow = _log_cells(energy[:, o::SUB_OFFSETS])
        # Windows may hang a block over either end: blocks are cyclic, so a bit whose cells all lie inside
        # is read wherever its block starts (an excerpt of a block and a half holds most bits of two partial blocks).
        logc = np.pad(logc, ((0, 0), (BLOCK_FRAMES, BLOCK_FRAMES)), constant_values=np.nan)
        follow = np.pad(follow, ((0, 0), (BLOCK_FRAMES, BLOCK_FRAMES)))
        starts = np.arange(logc.shape[1] - BLOCK_FRAMES + 1)
        sums = _per_bit(logc, starts, sign)
        inside = np.isfinite(sums)
        phase = 2 * np.pi * (np.where(inside, sums, 0) - dither) / DELTA_DB
        # a bit in quiet cells carries little and errs most: weight it by how loud its cells are
        weight = _per_bit(follow**2, starts, np.full_like(sign, 1 / CELLS_PER_BIT)) * inside
        z = (weight * np.cos(2 * phase)).sum(axis=1) / np.sqrt((weight**2).sum(axis=1) / 2 + 1e-12)
        votes = weight * np.cos(phase) * np.maximum(z, 0)[:, None]
        for p in range(BLOCK_FRAMES):  # the windows of one phase: one piece's consecutive blocks
            soft.append(votes[p::BLOCK_FRAMES].sum(axis=0))
            peak.append(float(z[p::BLOCK_FRAMES].max()))
            seen.append(int((z[p::BLOCK_FRAMES] > 3).sum()))
    order = np.argsort(peak)[::-1]
    for i, mark_id in zip(order, _ids(np.array(soft)[order]), strict=True):
        if mark_id is not None:
            return IdMark(mark_id, peak[i], seen[i])
    return None

"""Low-latency streaming: the first segment sent in parts (its leading silence at once, then pieces
decoded apart) must add up to the same length as a whole render and still be understood."""

import numpy as np
import torch

from vocalis.acoustic.assets import FRAME
from vocalis.acoustic.pieces import piece_ends
from vocalis.asr import transcribe
from vocalis.audio import Audio
from vocalis.subtitles import cues_of
from vocalis.text.error_rate import wer

TEXT = "Please call me back when you get this message. The train to the city leaves at six."


def test_first_segment_arrives_in_parts_that_add_up(tts):
    whole = list(tts.stream(TEXT))
    parts = list(tts.stream(TEXT, low_latency=True))
    first = [c for c in parts if c.segment is parts[0].segment]
    assert len(first) >= 3 and [c.final for c in first] == [False] * (len(first) - 1) + [True]
    assert not first[0].audio.samples.any()  # the leading silence, sent before anything is decoded
    assert first[0].audio.duration >= 0.2
    assert sum(len(c.audio.samples) for c in first) == len(whole[0].audio.samples)
    assert sum(len(c.audio.samples) for c in parts) == sum(len(c.audio.samples) for c in whole)
    assert all(c.final for c in parts[len(first):])  # later segments come whole
    audio = Audio.concat([c.audio for c in parts])
    assert wer(TEXT, transcribe(audio, lang="en")) <= 0.15
    assert len(cues_of(parts)) == len(cues_of(whole)) == 2


def test_parts_keep_an_exact_duration(tts):
    parts = list(tts.stream("今天天气很好，我们一起去公园散步吧。", duration=3.0, low_latency=True))
    assert len(parts) >= 2
    assert sum(len(c.audio.samples) for c in parts) == 3 * tts.sample_rate


def test_a_window_of_the_source_is_a_slice_of_the_whole(tts):
    model = tts.acoustic
    f0 = torch.from_numpy(np.linspace(90, 220, 200, dtype=np.float32))[None]
    noise = torch.randn(1, 100 * FRAME, 9)
    whole = model.net.source(f0, noise)
    window = model.net.source(f0, noise, slice(60, 140))
    assert window.shape[1] == 80 * FRAME // 2
    np.testing.assert_allclose(window.numpy(), whole[:, 60 * FRAME // 2:140 * FRAME // 2].numpy(), atol=1e-3)


def test_pieces_grow_and_end_at_the_segment_end():
    durations = np.array([15] + [4] * 60 + [10])
    ends = piece_ends(durations)
    assert ends[-1] == durations.sum() and ends == sorted(ends)
    sizes = np.diff([durations[0], *ends])
    assert all(sizes[1:-1] > sizes[0])

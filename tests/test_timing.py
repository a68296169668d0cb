"""Timing control on the real model: `duration` targets met to the sample, subtitles dubbed into their
slots without overlaps (and still heard by Whisper), real segment timings exported as cues."""

import numpy as np
import pytest

from vocalis import Audio
from vocalis.asr import transcribe
from vocalis.errors import VocalisError
from vocalis.service.dub import dub
from vocalis.subtitles import Cue, cues_of, read_subtitles, speech_span, write_srt
from vocalis.text.error_rate import wer

RATE = 24000


@pytest.mark.parametrize("text, voice", [("Close the door, please.", "jm_kumo"), ("请把门关上。", "jf_gongitsune")])
def test_duration_is_exact_at_fractions_of_natural(tts, text, voice):
    natural = len(tts.synthesize(text, voice).samples)
    for factor in (0.75, 1.0, 1.25):
        target = factor * natural / RATE
        out = tts.synthesize(text, voice, duration=target)
        assert len(out.samples) == round(target * RATE)
        assert speech_span(out)[1] > 0.5 * len(out.samples)  # the speech is stretched, not padded


def test_several_sentences_fit_with_their_pauses_and_export_as_cues(tts, tmp_path):
    text = "It is late. The shops are closed. Let's go home."
    chunks = list(tts.stream(text, "jm_kumo", duration=3.7))
    assert len(chunks) == 3
    assert sum(len(c.audio.samples) for c in chunks) == round(3.7 * RATE)
    assert [c.start for c in chunks] == pytest.approx(np.cumsum([0] + [c.audio.duration for c in chunks[:-1]]))
    cues = cues_of(chunks)
    assert [c.text for c in cues] == ["It is late.", "The shops are closed.", "Let's go home."]
    assert 0 <= cues[0].start and cues[-1].end <= 3.7
    for a, b in zip(cues, cues[1:], strict=False):
        assert a.start < a.end < b.start  # in order, with the pause between them left out
    # written and read back to the millisecond
    again = read_subtitles(write_srt(cues, tmp_path / "out.srt"))
    assert [(round(c.start, 3), round(c.end, 3), c.text) for c in cues] == [(c.start, c.end, c.text) for c in again]


def test_impossible_requests_are_refused(tts):
    with pytest.raises(VocalisError, match="too short"):
        tts.synthesize("This sentence has far too many words for a fifth of a second.", duration=0.2)
    with pytest.raises(VocalisError, match="not both"):
        tts.synthesize("Hello.", speed=1.2, duration=1.0)


# 20 cues: short words (a quick test), gaps from none to 0.4 s, slots tight and loose, one cue with
# nothing to say and one too short to say anything in (run into the gap after it).
DUB = [
    ("Hello.", 0.7), ("Good morning.", 0.9), ("Yes.", 0.5), ("No way!", 0.6), ("Come here.", 0.7),
    ("Thank you.", 0.6), ("Look out!", 0.5), ("Wait.", 0.5), ("♪ [music] ♪", 0.8), ("Stop!", 0.06),
    ("Really?", 0.6), ("Of course.", 0.7), ("The train leaves at six o'clock.", 2.2), ("Hurry!", 0.5),
    ("Sit down.", 0.6), ("Not now.", 0.5), ("Okay.", 0.6), ("Why?", 0.4), ("Because.", 0.6), ("Goodbye.", 0.8),
]
GAPS = [0.3, 0.0, 0.2, 0.4, 0.0, 0.1, 0.3, 0.0, 0.2, 0.4, 0.5, 0.0, 0.2, 0.1, 0.0, 0.3, 0.2, 0.0, 0.1, 0.3]
SILENT, SHORT, HEARD = 8, 9, 12


def _srt(path):
    blocks, t = [], 0.0
    for k, ((text, slot), gap) in enumerate(zip(DUB, GAPS, strict=True), 1):
        start, t = t + gap, t + gap + slot
        stamp = [f"00:00:{ms // 1000:02d},{ms % 1000:03d}" for ms in (round(start * 1000), round(t * 1000))]
        blocks.append(f"{k}\n{stamp[0]} --> {stamp[1]}\n{text}\n")
    path.write_text("\n".join(blocks), encoding="utf-8")
    return path


def test_dub_places_every_cue_in_its_slot(tts, tmp_path):
    cues = read_subtitles(_srt(tmp_path / "film.srt"))
    assert len(cues) == 20
    done = []
    result = dub(tts, cues, progress=lambda k, n: done.append((k, n)))
    assert done[-1] == (20, 20)
    track = result.audio.samples
    assert len(track) == round(cues[-1].end * RATE)
    assert result.silent == [SILENT] and result.lengthened == [SHORT]
    assert SHORT in {k for k, _ in result.strained}
    slots = [(round(c.start * RATE), round(c.end * RATE)) for c in result.cues]
    for k, ((a, b), cue) in enumerate(zip(slots, cues, strict=True)):
        assert a == round(cue.start * RATE)
        assert b == round(cue.end * RATE) or (k == SHORT and b > round(cue.end * RATE))
        if k + 1 < len(slots):
            assert b <= slots[k + 1][0]  # no overlaps
        if k != SILENT:
            assert speech_span(Audio(track[a:b], RATE))[1] > 0
    outside = np.ones(len(track), bool)
    for a, b in slots:
        outside[a:b] = False
    assert not track[outside].any()  # silence between the slots, to the sample
    assert not track[slots[SILENT][0]:slots[SILENT][1]].any()
    a, b = slots[HEARD]
    heard = transcribe(Audio(track[a:b], RATE), lang="en")
    assert wer(cues[HEARD].text, heard) <= 0.2, heard


def test_dub_refuses_overlapping_or_empty_cues(tts):
    with pytest.raises(VocalisError, match="cue 2 starts at 0.500 s, before cue 1 ends"):
        dub(tts, [Cue(0.0, 1.0, "One."), Cue(0.5, 1.5, "Two.")])
    with pytest.raises(VocalisError, match="no cues"):
        dub(tts, [])


def test_dub_command_writes_the_track_and_its_cues(tmp_path, capsys):
    from vocalis.studio.cli import main

    srt = tmp_path / "in.srt"
    srt.write_text("1\n00:00:00,500 --> 00:00:02,000\nGood morning.\n\n"
                   "2\n00:00:02,500 --> 00:00:04,000\nSee you soon.\n", encoding="utf-8")
    out, placed = tmp_path / "track.wav", tmp_path / "placed.vtt"
    assert main(["dub", str(srt), "-v", "jm_kumo", "-o", str(out), "--subtitles", str(placed)]) == 0
    assert len(Audio.load(out).samples) == 4 * 24000
    assert [(c.start, c.end) for c in read_subtitles(placed)] == [(0.5, 2.0), (2.5, 4.0)]


def test_dub_speaks_cues_too_short_even_for_their_gap_and_moves_the_next_ones_later(tmp_path, capsys):
    from vocalis.studio.cli import main

    long = "This sentence is far too long to be spoken in a tenth of a second by anyone at all."
    srt = tmp_path / "tight.srt"
    srt.write_text(f"1\n00:00:00,000 --> 00:00:00,100\n{long}\n\n2\n00:00:00,200 --> 00:00:00,300\n{long}\n\n"
                   "3\n00:00:00,400 --> 00:00:01,400\nFine.\n", encoding="utf-8")
    out, placed = tmp_path / "t.wav", tmp_path / "placed.srt"
    assert main(["dub", str(srt), "-o", str(out), "--subtitles", str(placed)]) == 0  # a warning, not a lost track
    assert "2 delayed" in capsys.readouterr().err
    cues = read_subtitles(placed)
    assert cues[0].end <= cues[1].start and cues[1].end <= cues[2].start and cues[1].start > 1.0
    assert wer(f"{long} {long} Fine.", transcribe(Audio.load(out), lang="en")) <= 0.2


def test_pause_scale_stretches_only_the_pauses_between_segments(tts):
    text = "The first sentence ends here. The second one follows, after a pause."
    segs = [c for c in tts.stream(text)]
    natural = sum(len(c.audio.samples) for c in segs)
    pauses = sum(round(c.segment.pause_after * tts.sample_rate) for c in segs[:-1])
    assert pauses > 0.2 * tts.sample_rate
    doubled = len(tts.synthesize(text, pause_scale=2.0).samples)
    none = len(tts.synthesize(text, pause_scale=0.0).samples)
    assert abs(doubled - natural - pauses) <= len(segs)  # rounding: a sample per segment at most
    assert abs(natural - none - pauses) <= len(segs)


def test_max_phonemes_bounds_segments_and_bad_pacing_is_refused(tts):
    text = "When the rain finally stopped, we walked down to the harbour, looked at the boats, and went home."
    assert len(list(tts.stream(text, max_phonemes=40))) > len(list(tts.stream(text)))
    with pytest.raises(VocalisError, match="pause scale"):
        tts.synthesize(text, pause_scale=5)
    with pytest.raises(VocalisError, match="segment length"):
        tts.synthesize(text, max_phonemes=5)

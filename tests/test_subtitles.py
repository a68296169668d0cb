"""SRT and WebVTT reading and writing, on files as real tools write them (BOM, CRLF, tags, notes)."""

import numpy as np
import pytest

from vocalis import Audio
from vocalis.errors import VocalisError
from vocalis.subtitles import Cue, read_subtitles, speech_span, write_srt, write_subtitles, write_vtt

SRT = (
    "1\n00:00:01,000 --> 00:00:02,500\n<i>Hello</i> there,\n<font color=\"red\">my friend</font>.\n\n"
    "2\n00:00:03.200 --> 00:00:04,000\n{\\an8}Fish &amp; chips?\n\n"
    "3\n01:02:03,5 --> 01:02:04,250 X1:100 X2:200\na < b\n"
)
SRT_CUES = [Cue(1.0, 2.5, "Hello there, my friend."), Cue(3.2, 4.0, "Fish & chips?"), Cue(3723.5, 3724.25, "a < b")]
VTT = """WEBVTT - a title
Kind: captions
Language: en

NOTE a comment
over two lines

STYLE
::cue { color: yellow }

intro
00:01.000 --> 00:02.500 align:start position:10%
<v Roger>Hello <c.loud>there</c>,
my friend.

00:00:03.200 --> 00:00:04.000
Fish &amp; chips?
"""


def _write(tmp_path, name: str, text: str, encoding: str = "utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_srt_with_bom_crlf_tags_and_loose_times(tmp_path):
    path = _write(tmp_path, "a.srt", "\ufeff" + SRT.replace("\n", "\r\n"))
    assert read_subtitles(path) == SRT_CUES


def test_vtt_header_notes_styles_settings_and_voices(tmp_path):
    assert read_subtitles(_write(tmp_path, "a.vtt", VTT)) == SRT_CUES[:2]


def test_format_told_by_content_and_utf16(tmp_path):
    assert read_subtitles(_write(tmp_path, "subs.txt", VTT)) == SRT_CUES[:2]
    assert read_subtitles(_write(tmp_path, "misnamed.srt", VTT)) == SRT_CUES[:2]
    assert read_subtitles(_write(tmp_path, "subs", SRT, "utf-16")) == SRT_CUES


def test_missing_blank_line_and_empty_cues(tmp_path):
    text = ("1\n00:00:01,000 --> 00:00:02,000\nOne\n2\n00:00:02,000 --> 00:00:03,000\nTwo\n\n"
            "3\n00:00:04,000 --> 00:00:05,000\n<i></i>\n")
    assert read_subtitles(_write(tmp_path, "a.srt", text)) == [Cue(1.0, 2.0, "One"), Cue(2.0, 3.0, "Two")]


@pytest.mark.parametrize("writer, name", [(write_srt, "out.srt"), (write_vtt, "out.vtt"),
                                          (write_subtitles, "out.srt"), (write_subtitles, "out.VTT")])
def test_round_trip(tmp_path, writer, name):
    cues = [Cue(0.0, 1.234, "First line & more"), Cue(1.234, 2.0, "第二行"), Cue(3600.5, 3601.0, "Last.")]
    assert read_subtitles(writer(cues, tmp_path / name)) == cues


def test_vtt_escapes_what_would_read_as_tags(tmp_path):
    path = write_vtt([Cue(1.0, 2.0, "a <b> & c")], tmp_path / "x.vtt")
    assert path.read_text(encoding="utf-8") == "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\na &lt;b&gt; &amp; c\n"
    assert read_subtitles(path) == [Cue(1.0, 2.0, "a <b> & c")]


@pytest.mark.parametrize("name, text, message", [
    ("bad.srt", "1\n00:00:01,000 --> 00:00:02,000\nOne\n\n2\n00:00:03,000 -> 00:00:04,000\nTwo\n",
     "line 6: expected a cue time"),
    ("bad.srt", "1\n00:00:01,000 --> 00:00:02,000\nOne\n\nstray text\n", "line 5: expected a cue time"),
    ("bad.srt", "1\n00:00:01,000 --> 00:01:72,000\nOne\n", "line 2: minutes and seconds"),
    ("bad.vtt", "00:01.000 --> 00:02.000\nOne\n", "line 1: a WebVTT file must start with WEBVTT"),
    ("back.srt", "1\n00:00:01,000 --> 00:00:02,000\nOne\n\n\n2\n00:00:05,000 --> 00:00:04,000\nTwo\n",
     "line 7: cue 2 ends (00:00:04,000) at or before its start (00:00:05,000)"),
    ("overlap.srt", "1\n00:00:01,000 --> 00:00:03,000\nOne\n\n2\n00:00:02,500 --> 00:00:04,000\nTwo\n",
     "line 6: cue 2 starts at 00:00:02,500, before cue 1 ends at 00:00:03,000: cues must not overlap"),
    ("empty.srt", "\ufeff\r\n\r\n", "has no subtitle cues"),
    ("empty.vtt", "WEBVTT\n\nNOTE nothing here\n", "has no subtitle cues"),
])
def test_malformed_files_name_the_line(tmp_path, name, text, message):
    path = _write(tmp_path, name, text)
    with pytest.raises(VocalisError) as e:
        read_subtitles(path)
    assert message in str(e.value) and str(path) in str(e.value) and "\n" not in str(e.value)


def test_unreadable_files(tmp_path):
    with pytest.raises(VocalisError, match="not UTF-8"):
        read_subtitles(_write(tmp_path, "latin.srt", "1\n00:00:01,000 --> 00:00:02,000\ncafé\n", "latin-1"))
    with pytest.raises(VocalisError, match="cannot read subtitle file"):
        read_subtitles(tmp_path / "missing.srt")
    with pytest.raises(VocalisError, match="unsupported subtitle format"):
        write_subtitles([Cue(0, 1, "x")], tmp_path / "x.txt")


def test_speech_span_skips_silence_at_both_ends():
    rate = 24000
    x = np.zeros(rate, np.float32)
    x[6000:18000] = 0.5 * np.sin(np.arange(12000) / 5)
    x[18000:20000] = 1e-4  # under -40 dB from the peak: silence
    assert speech_span(Audio(x, rate)) == (6000, 18000)
    assert speech_span(Audio(np.zeros(100, np.float32), rate)) == (0, 0)

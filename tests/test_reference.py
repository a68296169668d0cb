"""Reference-clip intake on real recordings: speech kept, silence dropped, bad clips rejected."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from shared_data import SPEECH

from vocalis.audio import Audio
from vocalis.errors import VocalisError, VoiceError
from vocalis.voice.reference import Reference, prepare_reference

# LibriSpeech test-other, 16 kHz mono flac. CLEAN: 9.1 s, quiet background, pauses between phrases.
CLEAN = SPEECH / "librispeech_test_other" / "2033" / "2033-164914-0000.flac"
LONG = SPEECH / "librispeech_test_other" / "1688" / "1688-142285-0000.flac"  # 15 s, ~10.5 s of speech
LOUD = SPEECH / "librispeech_test_other" / "2033" / "2033-164914-0006.flac"  # 17 s, peaks need limiting
JFK = SPEECH / "jfk_speech" / "JFK" / "jfk.flac"  # 44.1 kHz stereo

pytestmark = pytest.mark.shared_data(CLEAN, LONG, LOUD, JFK)


def dbfs(x: np.ndarray) -> float:
    return 20 * math.log10(float(np.sqrt(np.mean(x.astype(np.float64) ** 2))))


def webrtc_speech_s(audio: Audio) -> float:
    """Seconds of 30 ms frames that WebRTC's VAD (an independent detector) calls speech."""
    import webrtcvad

    vad = webrtcvad.Vad(3)
    pcm = (np.clip(audio.resample(16000).samples, -1, 1) * 32767).astype("<i2")
    n = 480
    return sum(vad.is_speech(pcm[i : i + n].tobytes(), 16000) for i in range(0, len(pcm) - n + 1, n)) * 0.03


@pytest.fixture(scope="module")
def clean() -> Reference:
    return prepare_reference([CLEAN])


def test_keeps_the_speech_and_drops_the_pauses(clean: Reference) -> None:
    duration = sf.info(str(CLEAN)).duration
    independent = webrtc_speech_s(Audio.load(CLEAN))
    # the kept speech includes 100 ms pads and bridged short pauses, so it runs a little over WebRTC's count
    assert independent - 0.5 <= clean.speech_s <= independent + 1.5
    assert clean.speech_s < duration - 1.5
    assert clean.audio.sample_rate == 24000
    assert clean.speech_s == pytest.approx(clean.audio.duration)
    assert clean.sources == [CLEAN.name]
    assert clean.clipped_fraction == 0.0
    assert clean.snr_db > 30  # a quiet recording


def test_leading_and_trailing_silence_change_nothing(clean: Reference, tmp_path: Path) -> None:
    data, rate = sf.read(str(CLEAN), dtype="float32")
    silence = np.zeros(3 * rate, np.float32)
    padded = tmp_path / "padded.wav"
    sf.write(str(padded), np.concatenate([silence, data, silence]), rate)
    assert prepare_reference([padded]).speech_s == pytest.approx(clean.speech_s, abs=0.3)


def test_clips_concatenate_in_order(clean: Reference) -> None:
    other = prepare_reference([JFK])
    both = prepare_reference([CLEAN, JFK])
    assert both.speech_s == pytest.approx(clean.speech_s + other.speech_s, abs=0.01)
    assert both.sources == [CLEAN.name, JFK.name]
    assert both.sha256 not in (clean.sha256, other.sha256)
    assert prepare_reference([JFK, CLEAN]).sha256 != both.sha256


def test_speech_is_capped() -> None:
    ref = prepare_reference([LONG, CLEAN], max_speech_s=12.0)
    assert ref.speech_s == pytest.approx(12.0, abs=0.01)


def test_loudness_is_normalised() -> None:
    for ref in (prepare_reference([LOUD]), prepare_reference([JFK])):
        assert dbfs(ref.audio.samples) == pytest.approx(-20.0, abs=0.5)
        assert 20 * math.log10(float(np.abs(ref.audio.samples).max())) <= -1.0 + 1e-4


def test_stereo_44k_input() -> None:
    assert sf.info(str(JFK)).channels == 2 and sf.info(str(JFK)).samplerate == 44100
    ref = prepare_reference(JFK)
    assert ref.audio.sample_rate == 24000 and ref.audio.samples.ndim == 1
    assert 6.0 < ref.speech_s < 11.0


def test_in_memory_audio(clean: Reference) -> None:
    audio = Audio.load(CLEAN)
    ref = prepare_reference([audio])
    assert ref.sources == ["<audio>"]
    assert ref.speech_s == pytest.approx(clean.speech_s, abs=0.01)
    assert ref.sha256 == prepare_reference([audio]).sha256 != clean.sha256


@pytest.mark.parametrize(("suffix", "codec", "rate"), [(".m4a", "aac", 16000), (".webm", "libopus", 48000)])
def test_phone_and_browser_formats(clean: Reference, tmp_path: Path, suffix: str, codec: str, rate: int) -> None:
    import av

    source = Audio.load(CLEAN).resample(rate)
    path = tmp_path / f"clip{suffix}"
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=rate, layout="mono")
        frame = av.AudioFrame.from_ndarray(source.samples[None], format="fltp", layout="mono")
        frame.sample_rate = rate
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            container.mux(packet)
    with pytest.raises(sf.LibsndfileError):
        sf.info(str(path))  # so this goes through the FFmpeg fallback
    assert Audio.load(path).sample_rate == rate
    assert prepare_reference([path]).speech_s == pytest.approx(clean.speech_s, abs=0.3)


def test_short_clip_is_rejected(tmp_path: Path) -> None:
    data, rate = sf.read(str(CLEAN), dtype="float32")
    start = int(2.6 * rate)  # 2 s from here are all speech
    short = tmp_path / "short.wav"
    sf.write(str(short), data[start : start + 2 * rate], rate)
    with pytest.raises(VoiceError, match=r"short\.wav holds \d\.\d s of speech; cloning needs at least 3 s"):
        prepare_reference([short])
    hints = prepare_reference([short], min_speech_s=1.0).quality_hints()
    assert hints[0].startswith("only ") and "10-30 s gives a closer voice" in hints[0]


def test_silent_and_empty_files_hold_no_speech(tmp_path: Path) -> None:
    silent, empty = tmp_path / "silent.wav", tmp_path / "empty.wav"
    sf.write(str(silent), np.zeros(5 * 16000, np.float32), 16000)
    sf.write(str(empty), np.zeros(0, np.float32), 16000)
    for path in (silent, empty):
        with pytest.raises(VoiceError, match=f"no speech found in .*{path.name}"):
            prepare_reference([CLEAN, path])


def test_clipped_clip_is_rejected(tmp_path: Path) -> None:
    data, rate = sf.read(str(CLEAN), dtype="float32")
    clipped = tmp_path / "clipped.wav"
    sf.write(str(clipped), np.clip(data * 20, -1, 1), rate)
    with pytest.raises(VoiceError, match=r"clipped\.wav is clipped: .* lower input gain"):
        prepare_reference([CLEAN, clipped])


def test_unreadable_file_is_a_one_line_error(tmp_path: Path) -> None:
    junk = tmp_path / "notes.m4a"
    junk.write_bytes(b"not audio at all" * 64)
    for path in (junk, tmp_path / "missing.wav"):
        with pytest.raises(VocalisError, match=f"cannot read audio file .*{path.name}") as err:
            prepare_reference([path])
        assert "\n" not in str(err.value)


def test_background_noise_is_reported(clean: Reference, tmp_path: Path) -> None:
    data, rate = sf.read(str(CLEAN), dtype="float32")
    noise = np.random.default_rng(0).standard_normal(len(data)).astype(np.float32)
    noise *= 10 ** ((dbfs(data) - 12) / 20) / np.sqrt(np.mean(noise**2))  # 12 dB under the whole clip
    noisy = tmp_path / "noisy.wav"
    sf.write(str(noisy), data + noise, rate)
    ref = prepare_reference([noisy])
    assert 8 < ref.snr_db < 20 < clean.snr_db
    assert any(h.startswith("background noise or music is high") for h in ref.quality_hints())
    assert not any(h.startswith("background noise") for h in clean.quality_hints())

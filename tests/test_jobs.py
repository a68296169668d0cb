"""YAML job files and the emotion/timing flags, as a user runs them: real synthesis, exact lengths."""

import pytest

from vocalis.audio import Audio
from vocalis.service.job_file import load_jobs
from vocalis.studio.cli import main

JOB = """\
text: "We finally made it to the top of the mountain."
speaker_reference: jm_kumo
emotion_control:
  method: text
  description: "very happy, excited"
  weight: 0.8
duration_control:
  mode: controlled
  seconds: 3.25
output: out/top.wav
"""


def test_job_file_runs_end_to_end(tmp_path, capsys):
    job = tmp_path / "job.yaml"
    job.write_text(JOB, encoding="utf-8")
    assert main(["run", str(job)]) == 0
    audio = Audio.load(tmp_path / "out" / "top.wav")
    assert len(audio.samples) == round(3.25 * audio.sample_rate)
    assert "emotion: happy=" in capsys.readouterr().err


def test_job_list_with_shared_defaults(tmp_path):
    job = tmp_path / "jobs.yaml"
    job.write_text("speaker_reference: jm_kumo\nemotion_control: {method: vector, vector: {sad: 0.6}}\n"
                   "jobs:\n  - {text: One., output: a.wav}\n"
                   "  - {text: Two., output: b.wav, duration_control: {mode: free, ratio: 1.2}}\n", encoding="utf-8")
    jobs = load_jobs(job)
    assert [j.output.name for j in jobs] == ["a.wav", "b.wav"]
    assert jobs[1].request.speed == 1.2 and all(j.request.voice == "jm_kumo" for j in jobs)
    assert jobs[0].request.emotion.vector == {"sad": pytest.approx(0.6)}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("text: hi\n", "`output` is missing"),
        ("text: hi\noutput: a.wav\nspeed: 2\n", "unknown key 'speed'"),
        ("text: hi\noutput: a.wav\nemotion_control: {method: telepathy}\n", "emotion method 'telepathy'"),
        ("text: hi\noutput: a.wav\nemotion_control: {method: text}\n", "needs `description`"),
        ("text: hi\noutput: a.wav\nduration_control: {mode: controlled}\n", "one of `ratio`"),
        ("text: hi\noutput: a.wav\nduration_control: {mode: controlled, seconds: soon}\n", "must be a number"),
        ("text: [unclosed\n", "not valid YAML"),
        ("jobs:\n  - {text: a, output: x.wav}\n  - {text: b, output: x.wav}\n", "same output"),
        ("text: hi\noutput: a.wav\nlang: fr\n", "unknown language 'fr'"),
        ("text: hi\noutput: a.wav\nspeaker_reference: nobody\n", "unknown voice"),
        ("text: hi\noutput: a.wav\nsubtitles: a.txt\n", ".srt or .vtt"),
        ("text: hi\noutput: a.wav\nemotion_control: {method: mix, description: sad, mix: {audio: 1, text: 1}}\n",
         "needs its own key"),
        ("jobs:\n  - {text: a, output: x.wav}\n  - {text: b, output: y.wav, emotion_control: "
         "{method: vector, vector: {happy: 2}}}\n", "job 2: emotion happy 2.0 is out of range"),
    ],
)
def test_bad_job_files_fail_before_rendering(tmp_path, capsys, content, message):
    job = tmp_path / "job.yaml"
    job.write_text(content, encoding="utf-8")
    assert main(["run", str(job)]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not list(tmp_path.glob("*.wav"))  # checked whole: no job rendered before the bad one


def test_say_with_emotion_and_exact_duration(tmp_path, capsys):
    out = tmp_path / "x.wav"
    argv = ["say", "Hello there, nice to meet you.", "-v", "jm_kumo", "-o", str(out),
            "--emotion", "happy=0.8,surprised=0.2", "--emotion-weight", "0.5", "--duration", "2.5"]
    assert main(argv) == 0
    assert len(Audio.load(out).samples) == 2.5 * 24000


def test_emotion_command_shows_the_vector(capsys):
    assert main(["emotion", "冷冷地说"]) == 0
    lines = dict(line.split()[:2] for line in capsys.readouterr().out.splitlines() if line[:1].isalpha())
    scores = {k: float(v) for k, v in lines.items() if k not in ("weight", "use")}
    assert max(scores, key=scores.get) == "disgusted"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["say", "Hi", "--emotion", "joyful=1"], "unknown emotion 'joyful'"),
        (["say", "Hi", "--emotion-weight", "3", "--emotion", "happy=1"], "weight"),
        (["say", "Hi", "--duration", "2", "--speed", "1.5"], "not both"),
        (["say", "Hi", "--emotion-audio", "/nonexistent.wav"], "/nonexistent.wav"),
        (["say", "Hi", "--subtitles", "x.txt"], ".srt or .vtt"),
        (["emotion"], "give a description"),
        (["say", "Hi", "--emotion-weight", "0.5"], "needs an emotion"),
        (["say", "Hi", "--emotion", "happy", "--emotion-text", "sad", "--emotion-mix", "text=1"], "no share"),
    ],
)
def test_bad_emotion_and_timing_flags(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1

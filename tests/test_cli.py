"""The `vocalis` command as a user runs it: real synthesis, one-line errors with exit code 2."""

import subprocess
import sys

import pytest

from vocalis.asr import transcribe
from vocalis.audio import Audio
from vocalis.studio.cli import main
from vocalis.text.error_rate import wer


def test_say_writes_speech(tmp_path, capsys):
    out = tmp_path / "hello.wav"
    assert main(["say", "Hello there, how are you today?", "-o", str(out), "-v", "jm_kumo"]) == 0
    audio = Audio.load(out)
    assert wer("Hello there, how are you today?", transcribe(audio, lang="en")) <= 0.2
    assert not list(tmp_path.glob(".*.part*"))


def test_say_reads_a_file_with_progress(tmp_path, capsys):
    text = "This sentence is read from a file. " * 8
    src = tmp_path / "in.txt"
    src.write_text(text, encoding="utf-8")
    out = tmp_path / "long.flac"
    assert main(["say", "-f", str(src), "-o", str(out)]) == 0
    err = capsys.readouterr().err
    assert "char" in err  # the progress bar
    assert Audio.load(out).duration > 10


def test_say_reads_stdin_in_a_fresh_process(tmp_path):
    out = tmp_path / "stdin.wav"
    proc = subprocess.run([sys.executable, "-m", "vocalis.studio.cli", "say", "-o", str(out), "-q"],
                          input="Reading from standard input.", text=True, capture_output=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert Audio.load(out).duration > 1


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["say", ""], "empty"),
        (["say", "🙂🙂"], "nothing speakable"),
        (["say", "Hello", "-v", "nobody"], "unknown voice"),
        (["say", "Hello", "--lang", "fr"], "invalid choice"),
        (["say", "Hello", "--speed", "9"], "speed"),
        (["say", "Hello", "--speed", "fast"], "not a number"),
        (["say", "Hello", "-o", "/nonexistent/dir/x.wav"], "does not exist"),
        (["say", "Hello", "-o", "out.xyz"], "unsupported output format"),
        (["say", "-f", "/nonexistent.txt"], "cannot read text file"),
    ],
)
def test_bad_input_is_one_line_exit_2(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert message in err
    assert "Traceback" not in err and len(err.splitlines()) == 1


def test_voices_lists_builtins(capsys):
    assert main(["voices"]) == 0
    out = capsys.readouterr().out
    assert "jm_kumo" in out and "default for en" in out

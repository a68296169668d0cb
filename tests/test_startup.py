"""A cold start loads only what it needs (issue: fast start). Asserted on the modules a fresh process imports,
not on time: timings live in bench/startup.py."""

import json
import subprocess
import sys

HEAVY = ("torch", "transformers", "onnxruntime", "gradio")
# What a one-line English render does not need (transformers is not installed at all): torch (onnxruntime runs it), the
# Mandarin front end, librosa, scipy's signal package (each ~0.5-1.3 s of a cold start).
NOT_FOR_ENGLISH = ("torch", "jieba", "pypinyin", "cn2an", "librosa", "scipy.signal", "gradio",
                   "fastapi")


def _loaded(code: str, watch: tuple[str, ...]) -> list[str]:
    """The modules of `watch` that a fresh interpreter has imported after running `code`."""
    script = f"{code}\nimport json, sys\nprint(json.dumps([m for m in {list(watch)!r} if m in sys.modules]))"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=300)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_import_vocalis_loads_no_model_runtime():
    assert _loaded("import vocalis", HEAVY) == []


def test_help_loads_no_model_runtime():
    code = ("import contextlib, io\nfrom vocalis.studio.cli.main import main\n"
            "with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n    main(['--help'])")
    assert _loaded(code, HEAVY) == []


def test_watched_modules_exist():
    """The check below would pass vacuously if a name were misspelt: each one must be importable here."""
    code = f"import importlib\nfor m in {NOT_FOR_ENGLISH!r}: importlib.import_module(m)"
    assert _loaded(code, NOT_FOR_ENGLISH) == list(NOT_FOR_ENGLISH)


def test_say_in_english_loads_only_what_it_needs(tmp_path):
    """A one-line English `say`, watermarks, audit record and C2PA signature included, without the heavy extras."""
    out = tmp_path / "h.wav"
    code = f"from vocalis.studio.cli.main import main\nassert main(['say', 'Hello there.', '-o', {str(out)!r}]) == 0"
    assert _loaded(code, NOT_FOR_ENGLISH) == []
    assert out.stat().st_size > 10_000

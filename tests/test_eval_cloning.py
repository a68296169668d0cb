"""`vocalis eval cloning` end to end on a tiny real set (one LibriSpeech speaker, five strangers), the
normalisation formula on numbers, and the CLI's one-line error for a missing data folder."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import pytest
from shared_data import MANIFEST, SPEECH, shared_data

from vocalis.eval.cloning import ENCODERS, STRANGERS, SYSTEMS, normalised_similarity, print_report, write_json
from vocalis.studio.cli import main

SPEAKER = ["librispeech_test_other/1688/1688-142285-0008.flac", "librispeech_test_other/1688/1688-142285-0009.flac"]
COLUMNS = ["path", "dataset", "speaker_id", "gender", "language", "emotion", "transcript"]


@pytest.fixture
def tiny_data(tmp_path: Path) -> Path:
    """A MANIFEST.tsv pointing (absolute paths, no copies) at 2 clips of one speaker and 5 strangers."""
    shared_data(MANIFEST)
    with open(MANIFEST, encoding="utf-8", newline="") as f:
        strangers = [r for r in csv.DictReader(f, delimiter="\t") if r["dataset"] == STRANGERS]
    rows = [[str(SPEECH / p), "librispeech_test_other", "1688", "M", "en", "", ""] for p in SPEAKER]
    rows += [[str(SPEECH / r["path"]), r["dataset"], r["speaker_id"], "", "en", "", ""] for r in strangers[:5]]
    (tmp_path / "MANIFEST.tsv").write_text("\n".join("\t".join(r) for r in [COLUMNS, *rows]) + "\n", encoding="utf-8")
    return tmp_path


def test_normalised_similarity_spans_stranger_to_reference() -> None:
    assert normalised_similarity(0.8, 0.8, 0.3) == pytest.approx(1.0)  # the reference itself
    assert normalised_similarity(0.3, 0.8, 0.3) == pytest.approx(0.0)  # as close as a stranger
    assert normalised_similarity(0.55, 0.8, 0.3) == pytest.approx(0.5)
    assert math.isnan(normalised_similarity(0.5, 0.31, 0.3))  # the encoder can't separate them: no figure


@pytest.mark.slow
def test_evaluate_cloning_on_one_speaker(tiny_data: Path, tmp_path: Path, capsys) -> None:
    from vocalis.eval.cloning import evaluate_cloning

    checkpoints: list[dict] = []
    report = evaluate_cloning(tiny_data, limit=1, progress=lambda _m: None, steps=1, checkpoint=checkpoints.append)
    assert [c["pairs"][0]["speaker"] for c in checkpoints] == ["1688"]  # written after the pair, before the end
    assert report["strangers"]["count"] == 5
    (pair,) = report["pairs"]
    assert "error" not in pair, pair
    assert (pair["group"], pair["speaker"], pair["lang"], pair["metric"]) == ("English", "1688", "en", "wer")
    assert Path(pair["ref"]).name == "1688-142285-0008.flac" and Path(pair["gt"]).name == "1688-142285-0009.flac"
    assert pair["enrol_s"] > 0
    for enc in ENCODERS:
        assert -1 <= pair["ref_gt"][enc] <= 1 and -1 <= pair["stranger_gt"][enc] <= 1
    for system in SYSTEMS:
        figures = pair[system]
        assert math.isfinite(figures["error_rate"]) and figures["error_rate"] >= 0
        for enc in ENCODERS:
            assert -1 <= figures["similarity"][enc] <= 1
            norm = figures["normalised"][enc]
            assert math.isnan(norm) or math.isfinite(norm)
    english = report["groups"]["English"]
    assert english["pairs"] == 1 and english["failed"] == 0
    assert english["clone"]["wer"] == pytest.approx(pair["clone"]["error_rate"])
    assert math.isnan(english["clone"]["cer"])  # no Mandarin target in this group

    print_report(report)
    assert "1688" in capsys.readouterr().out
    out = tmp_path / "report.json"
    write_json(report, out)
    assert json.loads(out.read_text(encoding="utf-8"))["pairs"][0]["speaker"] == "1688"


def test_cli_missing_data_dir_is_a_one_line_error(capsys) -> None:
    assert main(["eval", "cloning", "--data", "/nope"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1

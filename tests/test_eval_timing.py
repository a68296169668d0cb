"""`vocalis eval timing` on a few sentences: every part of the report is there, readable and as JSON."""

import io
import json

from vocalis.eval.timing import TARGETS, evaluate_timing, print_report, write_json


def test_quick_timing_evaluation_reports_everything(tts, tmp_path):
    lines = []
    report = evaluate_timing(tts, sentences=4, progress=lines.append, cues=5)
    assert report["sentences"] == {"en": 2, "zh": 2} and len(lines) == 5
    assert all(len(item["renders"]) == len(TARGETS) for item in report["items"])
    for summary in [*report["per_target"].values(), *report["per_lang"].values(), report["overall"]]:
        assert summary["median_ms"] <= summary["p95_ms"] <= summary["max_ms"] <= 1.0  # exact to the sample
    assert report["overall"]["renders"] == 12
    dub = report["dub"]
    assert dub["cues"] == 5 and dub["overlaps"] == 0 and dub["outside_slots"] == 0 and dub["length_ok"]
    assert report["passed"]

    path = tmp_path / "timing.json"
    write_json(report, path)
    out = io.StringIO()
    print_report(json.loads(path.read_text(encoding="utf-8")), out)
    text = out.getvalue()
    assert "x0.75" in text and "overall" in text and "dub check: 5 cues, 0 overlaps" in text and "met" in text

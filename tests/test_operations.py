"""What an operator watches: /metrics in Prometheus's format counting real renders and errors, request ids
sent back and logged (as JSON with `--log-format json`), and /ready that turns 503 when the database is gone."""

import json
import logging
import time

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from vocalis.studio.api import create_app
from vocalis.studio.api.keys import KeyStore
from vocalis.studio.api.observability import configure_logging

TEXT = "The meter counts every word."


def _samples(text: str) -> dict[tuple[str, tuple], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def _ready(client: TestClient) -> dict:
    deadline = time.monotonic() + 120
    while (r := client.get("/ready")).status_code != 200:
        assert time.monotonic() < deadline, r.text
        time.sleep(0.5)
    return r.json()


def test_metrics_count_renders_errors_and_requests(tts):
    with TestClient(create_app(tts)) as client:
        assert _ready(client) == {"status": "ready", "models": "ready", "database": "ok"}
        for _ in range(2):
            assert client.post("/v1/tts", json={"text": TEXT, "voice": "jf_alpha"}).status_code == 200
        assert client.post("/v1/tts", json={"text": TEXT, "voice": "nobody"}).status_code == 404
        assert client.post("/v1/tts", json={"text": ""}).status_code == 400
        assert client.get("/v1/jobs/job_0000000000000000").status_code == 404
        r = client.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    got = _samples(r.text)
    ok = ("vocalis_http_requests_total", (("method", "POST"), ("route", "/v1/tts"), ("status", "200")))
    assert got[ok] == 2
    assert got[("vocalis_http_requests_total", (("method", "GET"), ("route", "/v1/jobs/{job_id}"),
                                                ("status", "404")))] == 1  # the route's template, not each id
    assert got[("vocalis_errors_total", (("type", "not_found_error"),))] == 2
    assert got[("vocalis_errors_total", (("type", "invalid_request_error"),))] == 1
    assert got[("vocalis_renders_total", (("voice", "jf_alpha"),))] == 2
    assert got[("vocalis_audio_seconds_total", (("voice", "jf_alpha"),))] > 2 * 1.0  # a sentence is over 1 s
    rtf_count = got[("vocalis_render_rtf_count", ())]
    assert rtf_count == 2 and 0 < got[("vocalis_render_rtf_sum", ())] / rtf_count < 5
    assert got[("vocalis_http_request_seconds_count", (("route", "/v1/tts"),))] == 4
    assert got[("vocalis_engine_queue_depth", ())] == 0
    assert got[("vocalis_jobs", (("state", "queued"),))] == 0


def test_metrics_want_an_operator_key_once_keys_exist(tts):
    store = KeyStore()
    user, operator = store.create("user"), store.create("ops", operator=True)
    client = TestClient(create_app(tts))
    assert client.get("/metrics").status_code == 401
    denied = client.get("/metrics", headers={"Authorization": f"Bearer {user}"})
    assert denied.status_code == 403 and "operator key" in denied.json()["error"]["message"]
    assert client.get("/metrics", headers={"Authorization": f"Bearer {operator}"}).status_code == 200
    assert client.get("/health").status_code == 200 and client.get("/ready").status_code in (200, 503)  # open


def test_request_ids_are_returned_and_logged_as_json(tts, capsys):
    logger = logging.getLogger("vocalis")
    saved = logger.handlers[:], logger.level, logger.propagate
    configure_logging("json")
    try:
        client = TestClient(create_app(tts))
        mine = client.post("/v1/tts", json={"text": "Hi.", "voice": "nobody"}, headers={"X-Request-ID": "abc-123"})
        forged = client.get("/health", headers={"X-Request-ID": 'x" level=error'})
        made = client.get("/health")
    finally:
        logger.handlers, logger.level, logger.propagate = saved
    assert mine.headers["X-Request-ID"] == "abc-123"  # a client's own id is kept when it is a plain token
    assert forged.headers["X-Request-ID"] != 'x" level=error' and len(forged.headers["X-Request-ID"]) == 32
    assert made.headers["X-Request-ID"] != forged.headers["X-Request-ID"]
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    logged = {line["request_id"]: line for line in lines if line.get("message") == "request"}
    assert logged["abc-123"]["status"] == 404 and logged["abc-123"]["path"] == "/v1/tts"
    assert logged["abc-123"]["level"] == "info" and logged["abc-123"]["time"].endswith("Z")
    assert logged[made.headers["X-Request-ID"]]["status"] == 200


def test_ready_says_when_the_database_is_unreachable_and_the_worker_outlives_it(tts, monkeypatch):
    with TestClient(create_app(tts)) as client:
        _ready(client)
        monkeypatch.setenv("VOCALIS_DB_URL", "postgresql+psycopg://vocalis@127.0.0.1:1/vocalis?connect_timeout=2")
        r = client.get("/ready")
        time.sleep(6)  # the job worker polls the unreachable queue meanwhile
        monkeypatch.delenv("VOCALIS_DB_URL")  # the database is back
        assert _ready(client)["database"] == "ok"
        job = client.post("/v1/jobs", json={"text": "Back in business."}).json()
        deadline = time.monotonic() + 60
        while (state := client.get(f"/v1/jobs/{job['id']}").json())["status"] != "done":
            assert time.monotonic() < deadline, state
            time.sleep(0.3)
    assert r.status_code == 503
    body = r.json()
    assert body["status"] == "database unreachable" and body["models"] == "ready"
    assert "OperationalError" in body["database"]


def test_serve_refuses_a_bad_replica_count_in_one_line(capsys):
    from vocalis.studio.cli import main

    assert main(["serve", "--ray", "--replicas", "none"]) == 2
    err = capsys.readouterr().err
    assert "--replicas none: give 1 or more, or auto" in err and "Traceback" not in err

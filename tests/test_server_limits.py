"""What keeps the server usable by many: rate limits (429 + Retry-After), body caps (413, never reading a huge
body), CORS only where configured, and API docs that load with no network."""

import re

import pytest
from fastapi.testclient import TestClient

from vocalis.studio.api import create_app
from vocalis.studio.api.keys import KeyStore
from vocalis.studio.api.limits import BodyLimits


def _chunked(data: bytes, size: int = 64 * 1024):
    """A body with no Content-Length: it can only be measured while it is read."""
    for start in range(0, len(data), size):
        yield data[start:start + size]


def test_a_key_over_its_rate_gets_429_with_retry_after(tts):
    client = TestClient(create_app(tts))
    slow, other = KeyStore().create("slow", rate=2), KeyStore().create("other")
    headers = {"Authorization": f"Bearer {slow}"}
    assert [client.get("/v1/voices", headers=headers).status_code for _ in range(2)] == [200, 200]
    r = client.get("/v1/voices", headers=headers)
    assert r.status_code == 429 and r.json()["error"]["type"] == "rate_limit_error"
    assert int(r.headers["retry-after"]) == 30 and "'slow' may make 2 a minute" in r.json()["error"]["message"]
    assert client.get("/v1/voices", headers={"Authorization": f"Bearer {other}"}).status_code == 200  # its own bucket
    assert client.get("/health").status_code == 200


def test_without_keys_the_limit_is_per_client_address(tts):
    client = TestClient(create_app(tts, rate_per_minute=3))
    assert [client.get("/v1/voices").status_code for _ in range(4)] == [200, 200, 200, 429]


@pytest.mark.parametrize("chunked", [False, True])
def test_an_oversized_json_body_gets_413(tts, chunked):
    client = TestClient(create_app(tts))
    body = b'{"input": "' + b"a" * (3 * 2**20) + b'"}'
    r = client.post("/v1/audio/speech", content=_chunked(body) if chunked else body,
                    headers={"content-type": "application/json"})
    assert r.status_code == 413, r.text
    assert r.json()["error"]["message"].startswith("the request body is over 2 MB, the limit for POST /v1/audio/speech")
    assert client.get("/v1/voices").status_code == 200


def test_oversized_uploads_get_413_and_leave_nothing(tts):
    client = TestClient(create_app(tts, limits=BodyLimits(upload_file=100_000, upload_total=300_000)))
    clip = ("references", ("clip.wav", b"\0" * 150_000, "audio/wav"))
    r = client.post("/v1/voices", data={"name": "big"}, files=[clip])
    assert r.status_code == 413 and "'clip.wav' is over 97.6562 kB" in r.json()["error"]["message"]
    request = client.build_request("POST", "/v1/voices", data={"name": "big"}, files=[clip, clip, clip])
    for content in (request.read(), _chunked(request.read())):
        headers = {"content-type": request.headers["content-type"]}
        r = client.post("/v1/voices", content=content, headers=headers)
        assert r.status_code == 413 and "limit for POST /v1/voices" in r.json()["error"]["message"]
    assert "big" not in {v["name"] for v in client.get("/v1/voices").json()["voices"]}


def test_cors_is_off_by_default_and_on_for_configured_origins(tts):
    preflight = {"Origin": "http://studio.example", "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "authorization, content-type"}
    closed = TestClient(create_app(tts))
    assert "access-control-allow-origin" not in closed.get("/v1/voices", headers={"Origin": "http://a.example"}).headers
    assert "access-control-allow-origin" not in closed.options("/v1/audio/speech", headers=preflight).headers
    opened = TestClient(create_app(tts, cors_origins=["http://studio.example"]))
    r = opened.options("/v1/audio/speech", headers=preflight)
    assert r.status_code == 200 and r.headers["access-control-allow-origin"] == "http://studio.example"
    assert "authorization" in r.headers["access-control-allow-headers"].lower()
    r = opened.get("/v1/voices", headers={"Origin": "http://studio.example"})
    assert r.headers["access-control-allow-origin"] == "http://studio.example"
    r = opened.get("/v1/voices", headers={"Origin": "http://elsewhere.example"})
    assert "access-control-allow-origin" not in r.headers


def test_the_docs_page_loads_only_local_assets(tts):
    client = TestClient(create_app(tts))
    page = client.get("/docs")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    urls = re.findall(r'(?:src|href)="([^"]+)"', page.text) + re.findall(r"url: '([^']+)'", page.text)
    assert len(urls) >= 4 and all(u.startswith("/") and not u.startswith("//") for u in urls), urls
    assert "http://" not in page.text and "https://" not in page.text
    for url in urls:
        assert client.get(url).status_code == 200, url
    assert client.get("/docs/assets/swagger-ui-bundle.js").headers["content-type"].startswith(
        ("text/javascript", "application/javascript"))
    schema = client.get("/openapi.json").json()
    assert {"/v1/jobs", "/v1/jobs/{job_id}", "/v1/audio/speech"} <= set(schema["paths"])
    assert schema["components"]["securitySchemes"]["apiKey"]["scheme"] == "bearer"

"""`vocalis serve --ray` on a real two-node Ray cluster on this machine (ray.cluster_utils.Cluster: a head and a
worker node, one CPU each, so each renderer replica lands on its own node): requests spread over the replicas, a
replica killed under load costs no request and changes no sample, and a batch and a long text job (its parts
rendered on both nodes at once) finished on two nodes equal the single-process result, sample for sample."""

import io
import socket
import threading
import time
import zipfile

import httpx
import numpy as np
import pytest
from conftest import MARK_ID

from vocalis.asr import transcribe
from vocalis.audio import Audio
from vocalis.service import SpeechRequest
from vocalis.text.error_rate import wer

pytestmark = pytest.mark.slow  # a cluster and two more engines: about a minute to start
TEXT = "The relay passed the message along. Nobody dropped it on the way."
LONG = ("The ship left the harbour at dawn. Gulls followed it for an hour. Then the sea was calm and empty. "
        "By noon the coast was gone. The crew ate in silence. At dusk a light showed in the north.")
BATCH = """\
speaker_reference: jm_kumo
lang: en
jobs:
  - {text: "Please close the door.", output: door.wav}
  - {text: "It is raining again.", output: rain.wav}
  - {text: "The bus was late this morning.", output: bus.wav}
  - {text: "We will meet at the station.", output: station.wav}
"""


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    import ray
    from ray import serve
    from ray.cluster_utils import Cluster

    from vocalis.studio.api.auth import AuthMode
    from vocalis.studio.api.cluster import ClusterOptions, deploy

    mp = pytest.MonkeyPatch()
    mp.setenv("VOCALIS_HOME", str(tmp_path_factory.mktemp("cluster-home")))
    mp.setenv("VOCALIS_MARK_ID", str(MARK_ID))
    nodes = Cluster(initialize_head=True, head_node_args={"num_cpus": 1, "include_dashboard": False})
    nodes.add_node(num_cpus=1)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    deploy(ClusterOptions(nodes.address, 2, "127.0.0.1", port), {"auth": AuthMode.OFF, "rate_per_minute": 0})
    base = f"http://127.0.0.1:{port}"
    _wait_ready(base)
    yield base
    serve.shutdown()
    ray.shutdown()
    nodes.shutdown()
    mp.undo()


def _wait_ready(base: str, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(f"{base}/ready", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, "the cluster never became ready"
        time.sleep(1)


def _speak(base: str, text: str = TEXT) -> httpx.Response:
    return httpx.post(f"{base}/v1/tts", json={"text": text, "voice": "jm_kumo", "format": "wav"}, timeout=300)


def _finished(base: str, job_id: str) -> dict:
    deadline = time.monotonic() + 300
    while (job := httpx.get(f"{base}/v1/jobs/{job_id}").json())["status"] not in ("done", "failed"):
        assert time.monotonic() < deadline, job
        time.sleep(0.5)
    assert job["status"] == "done" and job["errors"] == [], job
    return job


def _samples(content: bytes) -> np.ndarray:
    import soundfile as sf

    return sf.read(io.BytesIO(content), dtype="int16")[0]


def _concurrently(calls: int, call) -> list:
    results: list = [None] * calls

    def run(k: int) -> None:
        try:
            results[k] = call(k)
        except Exception as e:  # noqa: BLE001 (reported below, as the failed request it is)
            results[k] = e

    threads = [threading.Thread(target=run, args=(k,)) for k in range(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_requests_spread_over_the_replicas(cluster, tts):
    responses = _concurrently(6, lambda _k: _speak(cluster))
    assert all(isinstance(r, httpx.Response) and r.status_code == 200 for r in responses), responses
    served = {r.headers["X-Served-By"] for r in responses}
    assert len(served) == 2, served  # both replicas, one per node
    heard = transcribe(Audio(_samples(responses[0].content).astype(np.float32) / 32767, 24000), lang="en")
    assert wer(TEXT, heard) <= 0.2, heard


def test_a_replica_killed_mid_stream_costs_no_request(cluster, tts):
    """Four streams open across the replicas; one replica killed while its streams are half sent: they end
    on the other replica, whole, with the very samples a single process streams."""
    import ray

    from vocalis.service.encode import pcm16

    request = SpeechRequest(LONG, voice="jm_kumo", low_latency=True)
    expected = b"".join(pcm16(chunk.audio.samples) for chunk in tts.open(request))
    body = {"text": LONG, "voice": "jm_kumo", "format": "pcm", "stream": True}
    clients = [httpx.Client(timeout=300) for _ in range(4)]
    opened = [client.stream("POST", f"{cluster}/v1/tts", json=body) for client in clients]
    streams = [cm.__enter__() for cm in opened]
    assert all(s.status_code == 200 for s in streams)
    chunks = [s.iter_bytes() for s in streams]
    received = [next(c) for c in chunks]  # each stream under way
    victim = streams[0].headers["X-Served-By"]
    ray.kill(ray.get_actor(f"SERVE_REPLICA::vocalis#renderer#{victim}", namespace="serve"), no_restart=True)
    for k, rest in enumerate(chunks):
        received[k] += b"".join(rest)
    for cm, client in zip(opened, clients, strict=True):
        cm.__exit__(None, None, None)
        client.close()
    for data in received:
        assert len(data) == len(expected) and np.abs(np.frombuffer(data, "<i2").astype(int)
                                                      - np.frombuffer(expected, "<i2").astype(int)).max() <= 1
    _wait_ready(cluster)


def test_a_batch_on_two_nodes_equals_the_single_process_result(cluster, tts):
    r = httpx.post(f"{cluster}/v1/jobs", content=BATCH.encode(), headers={"content-type": "application/yaml"})
    assert r.status_code == 202, r.text
    text_job = httpx.post(f"{cluster}/v1/jobs", json={"text": LONG, "voice": "jm_kumo", "format": "wav"})
    job, text_job = _finished(cluster, r.json()["id"]), _finished(cluster, text_job.json()["id"])
    spoken = _samples(httpx.get(f"{cluster}{text_job['result']}").content).astype(np.float64)
    alone = (tts.render(SpeechRequest(LONG, voice="jm_kumo")).audio.samples * 32767).round()
    # A text job of six sentences, cut into two parts rendered on the two nodes at once, then joined.
    assert len(spoken) == len(alone) and np.abs(spoken - alone).max() <= 1
    archive = zipfile.ZipFile(io.BytesIO(httpx.get(f"{cluster}{job['result']}").content))
    texts = {"door.wav": "Please close the door.", "rain.wav": "It is raining again.",
             "bus.wav": "The bus was late this morning.", "station.wav": "We will meet at the station."}
    assert sorted(archive.namelist()) == sorted(texts)
    for name, text in texts.items():
        here = (tts.render(SpeechRequest(text, voice="jm_kumo", lang="en")).audio.samples * 32767).round()
        there = _samples(archive.read(name)).astype(np.float64)
        assert len(there) == len(here) and np.abs(there - here).max() <= 1, name  # same segments, same samples

"""`vocalis serve --ray` on a real two-node Ray cluster on this machine (ray.cluster_utils.Cluster: a head and a
worker node, one CPU each, so each renderer replica lands on its own node): requests spread over the replicas, a
replica killed under load costs no request and changes no sample, and a batch, a long text job (its parts
rendered on both nodes at once) and a video dub (its lines rendered on both nodes at once) finished on two nodes
equal the single-process result, sample for sample."""

import io
import socket
import threading
import time
import zipfile

import av
import httpx
import numpy as np
import pytest
from conftest import MARK_ID
from shared_data import SPEECH
from video_fixtures import make_video, soundtrack

from vocalis.asr import transcribe
from vocalis.audio import Audio
from vocalis.service import SpeechRequest
from vocalis.service.video_dub import DubOptions
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


ESD = SPEECH / "esd" / "0013"
NEUTRAL, ANGRY = ESD / "0013_000002_neutral_src.wav", ESD / "0013_000351.wav"
SCENE = "1\n00:00:01,000 --> 00:00:04,200\nThe museum opens at nine.\n\n" \
        "2\n00:00:06,000 --> 00:00:09,900\nGet out of my house and never come back!\n"
# More lines than a dub keeps under way on two replicas (8): Serve may send a first burst all to one replica, but
# each line after it goes to the one with fewer requests.
CUES = ["Please close the door.", "It is raining again.", "The bus was late this morning.", "[music]",
        "We will meet at the station.", "Dinner is ready.", "Turn left at the next corner.", "We are out of milk.",
        "The museum opens at nine.", "Your order has been shipped.", "Thank you for waiting.", "See you tomorrow."]


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


def _both_replicas_running(timeout: float = 300) -> None:
    from ray import serve

    deadline = time.monotonic() + timeout
    while serve.status().applications["vocalis"].deployments["renderer"].replica_states.get("RUNNING", 0) < 2:
        assert time.monotonic() < deadline, "the renderers never had two replicas running"
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


def test_a_dubs_lines_render_on_both_nodes_as_in_one_process(cluster, tts):
    """The lines a dub sends to the renderers: spread over both, in order, each the very line one process renders."""
    from ray import serve

    from vocalis.service.dub import CueLine, render_line
    from vocalis.studio.api.cluster import RemoteEngine
    from vocalis.voice import resolve_voice

    _both_replicas_running()  # (a replica killed by an earlier test is replaced meanwhile)
    voice = resolve_voice("jm_kumo")
    lines = [CueLine(k, text, 48_000 + 2_400 * k, 80_000, voice, "en", None, MARK_ID, "test")
             for k, text in enumerate(CUES)]
    remote = RemoteEngine(serve.get_deployment_handle("renderer", app_name="vocalis")).render_lines(lines)
    there = list(remote)
    assert len(remote.replicas) == 2, remote.replicas
    for line, result in zip(lines, there, strict=True):
        here = render_line(tts, line)
        if here is None:  # "[music]": nothing to say, on either side
            assert result is None
            continue
        assert len(result[0]) == len(here[0]) == line.slot and result[1] == pytest.approx(here[1])
        assert np.abs(result[0] - here[0]).max() <= 1e-4, line.text


@pytest.mark.shared_data(NEUTRAL, ANGRY)
def test_a_video_dubbed_on_the_cluster_equals_the_single_process_dub(cluster, tts, tmp_path):
    video = make_video(tmp_path / "scene.mp4", 11.0, soundtrack(11.0, [(1.0, Audio.load(NEUTRAL)),
                                                                      (6.0, Audio.load(ANGRY))], music_db=-42))
    subs = tmp_path / "new.srt"
    subs.write_text(SCENE, encoding="utf-8")
    r = httpx.post(f"{cluster}/v1/dub", files={"video": ("scene.mp4", video.read_bytes(), "video/mp4"),
                                               "subtitles": ("new.srt", SCENE.encode(), "application/x-subrip")},
                   data={"voice": "jm_kumo"}, timeout=60)
    assert r.status_code == 202, r.text
    deadline = time.monotonic() + 300
    while (job := httpx.get(f"{cluster}/v1/dub/{r.json()['id']}").json())["status"] not in ("done", "failed"):
        assert time.monotonic() < deadline, job
        time.sleep(0.5)
    assert job["status"] == "done", job
    there = tmp_path / "there.mp4"
    there.write_bytes(httpx.get(f"{cluster}{job['result']}", timeout=60).content)
    here = tts.dub_video(video, subs, tmp_path / "here.mp4", DubOptions(voice="jm_kumo"))
    assert [(c["source"], c["speed"]) for c in job["cues"]] == [(c.source, round(c.speed, 3)) for c in here.cues]
    a, b = _soundtrack(there), _soundtrack(here.path)
    # The same lines mixed alike; AAC may round a sample that differs in its last bit a step the other way.
    assert a.shape == b.shape and np.sqrt(np.mean((a - b) ** 2)) <= 0.01 * np.sqrt(np.mean(a ** 2)), \
        np.abs(a - b).max()


def _soundtrack(path) -> np.ndarray:
    with av.open(str(path)) as container:
        return np.concatenate([f.to_ndarray() for f in container.decode(audio=0)], axis=1)

"""`vocalis say` through a running `vocalis serve`: the same request sent to `POST /v1/tts`, the file written
from its answer. Found in the data home (see `service.local_server`), or named with `--server URL`.

Only what the API takes travels: a request with a voice file's path, an emotion clip or subtitles, or in a
format the API does not write whole (ogg), renders here instead. Standard library only: nothing heavy loads."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from pathlib import Path

from vocalis.errors import VocalisError
from vocalis.service import SpeechRequest
from vocalis.service.local_server import SECONDS_HEADER, find
from vocalis.voice.library import VOICE_NAME

READY_TIMEOUT_S = 0.5  # a server that does not answer this fast is busy or stuck: render here
RENDER_TIMEOUT_S = 3600


def can_send(request: SpeechRequest) -> bool:
    voice_is_name = request.voice == "default" or (
        bool(VOICE_NAME.match(request.voice)) and not request.voice.lower().endswith((".npz", ".safetensors")))
    no_clip = request.emotion is None or request.emotion.audio is None
    return voice_is_name and no_clip and not request.subtitles and request.format != "ogg"


def server_for(url: str | None) -> tuple[str, str | None] | None:
    """The server to use and its token: `url` (with the card's token when it is the local server's, else
    $VOCALIS_API_KEY), or the local server when it runs and is ready, or None."""
    card = find()
    if url:
        url = url.rstrip("/")
        token = card.token if card and card.url == url else os.environ.get("VOCALIS_API_KEY")
        return url, token
    if card and _ready(card.url):
        return card.url, card.token
    return None


def say_via(url: str, token: str | None, request: SpeechRequest, output: Path) -> float:
    """Render `request` on the server at `url` into `output` (written whole or not at all); its seconds."""
    body = {"text": request.text, "voice": request.voice, "lang": request.lang, "speed": request.speed,
            "duration": request.duration, "format": request.format, "pause_scale": request.pause_scale,
            "max_phonemes": request.max_phonemes}
    if request.emotion is not None:
        e = request.emotion
        body["emotion"] = {"vector": e.vector, "text": e.text, "weight": e.weight, "shares": e.shares}
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
    call = urllib.request.Request(f"{url}/v1/tts", json.dumps(body).encode(), headers, method="POST")
    try:
        with urllib.request.urlopen(call, timeout=RENDER_TIMEOUT_S) as response:
            data, seconds = response.read(), float(response.headers.get(SECONDS_HEADER, "nan"))
    except urllib.error.HTTPError as e:  # the server's own words: what to fix in the request
        raise VocalisError(_message(e)) from None
    except (urllib.error.URLError, OSError) as e:
        raise VocalisError(f"cannot reach the server at {url} ({getattr(e, 'reason', e)}): start `vocalis serve`, "
                           "or leave out --server to render here") from None
    tmp = output.with_name(f".{output.name}.{os.getpid()}.part")
    try:
        tmp.write_bytes(data)
        tmp.replace(output)
    finally:
        tmp.unlink(missing_ok=True)
    return seconds


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/ready", timeout=READY_TIMEOUT_S) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError, ValueError):
        return False


def _message(error: urllib.error.HTTPError) -> str:
    try:
        return str(json.loads(error.read())["error"]["message"])
    except (ValueError, KeyError, TypeError):
        return f"the server answered {error.code} {error.reason}"

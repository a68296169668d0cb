"""A running `vocalis serve` leaves its address and a private token in the data home, so that the CLI on this
machine can hand a request to the warm engine instead of loading every model itself (one short line: ~0.3 s
instead of a cold start). The file is readable by its owner only: holding the token proves being the user who
owns the data home, and the server records such requests under that local user, as a local render would be."""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import asdict, dataclass

from vocalis.home import data_home

FILE = "server.json"
SECONDS_HEADER = "X-Audio-Seconds"  # a whole speech response's length, so a client need not decode it to know


@dataclass(frozen=True)
class LocalServer:
    url: str
    token: str
    pid: int


def card_for(host: str, port: int) -> LocalServer:
    """A new card for this process serving on host:port, with a fresh token; `publish` it once listening."""
    reach = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    return LocalServer(f"http://{'[' + reach + ']' if ':' in reach else reach}:{port}", secrets.token_urlsafe(32),
                       os.getpid())


def publish(server: LocalServer) -> None:
    """Write the card, owner-only (replacing a stale one); `withdraw` it when the server stops."""
    path = data_home() / FILE
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(asdict(server), f)
    tmp.replace(path)


def withdraw(server: LocalServer) -> None:
    """Remove the card, unless another server has replaced it since."""
    if find(alive_only=False) == server:
        (data_home() / FILE).unlink(missing_ok=True)


def find(alive_only: bool = True) -> LocalServer | None:
    """The card of the server running from this data home, or None (no card, a torn one, or its process gone)."""
    try:
        server = LocalServer(**json.loads((data_home() / FILE).read_text()))
    except (OSError, ValueError, TypeError):
        return None
    if alive_only:
        try:
            os.kill(server.pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:  # alive, another user's: not ours to use
            return None
    return server

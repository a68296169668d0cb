"""A real PostgreSQL server for the tests that need one (a pytest plugin, named in conftest.py): Debian's
PostgreSQL (`make test` installs it where missing), a throwaway cluster on a free loopback port, started once
for the session when a test first asks; each test that asks gets a database of its own."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest


def _postgres_bin() -> Path:
    found = shutil.which("initdb")
    candidates = [Path(found).resolve().parent] if found else []
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    for folder in candidates:
        if (folder / "initdb").exists() and (folder / "pg_ctl").exists():
            return folder
    raise AssertionError("PostgreSQL's server is not installed: run `make test` (it installs it) or "
                         "`apt-get install postgresql`")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """The server's base URL (postgresql+psycopg://vocalis@127.0.0.1:PORT)."""
    folder = Path(tempfile.mkdtemp(prefix="vocalis-pg-"))  # not under pytest's 0700 folder: the server reads it
    run_as: list[str] = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        shutil.chown(folder, "postgres")
        run_as = ["runuser", "-u", "postgres", "--"]
    pg, port, data = _postgres_bin(), _free_port(), folder / "data"
    subprocess.run([*run_as, str(pg / "initdb"), "-D", str(data), "--auth=trust", "-U", "vocalis", "-E", "UTF8"],
                   check=True, capture_output=True)
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
    subprocess.run([*run_as, str(pg / "pg_ctl"), "-D", str(data), "-l", str(folder / "server.log"), "-o", options,
                    "-w", "start"], check=True, capture_output=True)
    try:
        yield f"postgresql+psycopg://vocalis@127.0.0.1:{port}"
    finally:
        subprocess.run([*run_as, str(pg / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"], capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres_server: str) -> str:
    """A new, empty database on the session's server."""
    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_server.replace("+psycopg", "") + "/postgres", autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return f"{postgres_server}/{name}"

"""A data home in one archive, and back: voices, consent (records and recordings), the audit log and its key,
API keys, the web UI's history and presets, C2PA signing keys and the market's packages and keys.

The SQLite databases are copied with SQLite's own backup (a consistent copy while a server writes to them).
Left out: job outputs, training checkpoints and half-done dubs (work in progress, large, remade on demand),
and the running server's card. With `VOCALIS_DB_URL` on a database server, the audit log, consent records,
web UI history records and market ledger live there: back that up with the server's own tools (pg_dump); the
archive says so.

Restoring checks every file against the archive's manifest (SHA-256) before anything is written, writes into
a fresh folder beside the data home's contents and moves each entry into place, keeps the home private, and
verifies the audit chain it brought back."""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import tarfile
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from vocalis.database import DB_URL_ENV
from vocalis.errors import VocalisError
from vocalis.home import data_home
from vocalis.trust.audit import KEY_ENV, AuditCheck, AuditLog
from vocalis.trust.db import db_url, release

FORMAT = 1
MANIFEST = "vocalis-backup.json"
FOLDERS = ("voices", "consent", "history", "c2pa", "market")
FILES = ("audit.key", "presets.json")
DATABASES = ("trust.sqlite3", "api_keys.sqlite3", "history.sqlite3")
PRIVATE = {*DATABASES, "audit.key"}  # 0600 once restored (as home.private_file makes them)


@dataclass(frozen=True)
class BackupReport:
    path: Path
    files: int
    bytes: int
    voices: int
    audit: AuditCheck | None  # None when the audit log is on a database server, outside the archive
    note: str | None  # what the archive does not hold


@dataclass(frozen=True)
class RestoreReport:
    home: Path
    files: int
    voices: int
    audit: AuditCheck | None


def backup(path: str | Path) -> BackupReport:
    """Write the data home's state to `path` (a .tar.gz), whole or not at all."""
    home, out = data_home(), Path(path)
    if out.resolve().is_relative_to(home.resolve()):
        raise VocalisError(f"{out}: write the backup outside the data home ({home})")
    sqlite_trust = db_url().startswith("sqlite")
    audit = AuditLog().verify() if sqlite_trust else None
    entries = _entries(home, sqlite_trust)
    manifest = {"format": FORMAT, "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "files": {name: hashlib.sha256(data).hexdigest() for name, data in entries.items()},
                "audit_records": audit.records if audit else None}
    notes = [] if sqlite_trust else [f"the audit log, consent records, web UI history records and market ledger are "
                                     f"in {DB_URL_ENV}'s database: back it up with its own tools (pg_dump)"]
    if os.environ.get(KEY_ENV):
        notes.append(f"the audit key is {os.environ[KEY_ENV]} ({KEY_ENV}), outside the data home: keep a copy")
    tmp = out.with_name(f".{out.name}.partial")
    try:
        with tarfile.open(tmp, "w:gz") as tar:
            _add(tar, MANIFEST, json.dumps(manifest, indent=1).encode())
            for name, data in entries.items():
                _add(tar, name, data)
        tmp.replace(out)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        raise VocalisError(f"cannot write the backup {out}: {e.strerror or e}") from None
    return BackupReport(out, len(entries), out.stat().st_size, _voice_files(entries), audit,
                        "; ".join(notes) or None)


def restore(path: str | Path, force: bool = False) -> RestoreReport:
    """Bring an archive's state into the data home. A home that already holds voices, keys or an audit log is
    left alone unless `force` (its entries the archive holds are then replaced)."""
    home = data_home()
    if (home / "server.json").exists():
        raise VocalisError("a server is running on this data home (server.json): stop it before restoring")
    entries = _read(Path(path))
    taken = [name for name in (*FOLDERS, *FILES, *DATABASES) if _holds_data(home / name)]
    if taken and not force:
        raise VocalisError(f"the data home {home} already holds {', '.join(taken)}: restore into an empty one "
                           "(VOCALIS_HOME=...), or pass --force to replace them")
    staging = Path(tempfile.mkdtemp(prefix=".restore-", dir=home))
    try:
        for name, data in entries.items():
            target = staging / name
            target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            target.write_bytes(data)
            target.chmod(0o600 if name in PRIVATE or name.startswith(("consent/", "c2pa/", "market/keys/"))
                         else 0o644)
        release()  # pooled connections to the databases about to be replaced
        for top in sorted({PurePosixPath(name).parts[0] for name in entries}):
            destination = home / top
            for suffix in ("-wal", "-shm", "-journal"):  # the old database's log would replay into the new one
                (home / f"{top}{suffix}").unlink(missing_ok=True)
            if destination.is_dir():
                shutil.rmtree(destination)
            elif destination.exists():
                destination.unlink()
            (staging / top).replace(destination)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    audit = AuditLog().verify() if db_url().startswith("sqlite") and "trust.sqlite3" in entries else None
    return RestoreReport(home, len(entries), _voice_files(entries), audit)


def _entries(home: Path, sqlite_trust: bool) -> dict[str, bytes]:
    """Archive name -> content, for everything the home holds that a backup keeps."""
    entries: dict[str, bytes] = {}
    for folder in FOLDERS:
        for file in sorted((home / folder).rglob("*")) if (home / folder).is_dir() else ():
            if file.is_file() and not file.is_symlink():
                entries[file.relative_to(home).as_posix()] = file.read_bytes()
    for name in FILES:
        if (home / name).is_file():
            entries[name] = (home / name).read_bytes()
    for name in DATABASES:
        if (home / name).is_file() and (name != "trust.sqlite3" or sqlite_trust):
            entries[name] = _sqlite_copy(home / name)
    return entries


def _voice_files(entries: dict[str, bytes]) -> int:
    return sum(1 for name in entries if name.startswith("voices/"))


def _sqlite_copy(path: Path) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / path.name
        source, target = sqlite3.connect(path), sqlite3.connect(copy)
        try:
            source.backup(target)
        finally:
            source.close()
            target.close()
        return copy.read_bytes()


def _add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = len(data), int(time.time()), 0o600
    tar.addfile(info, io.BytesIO(data))


def _read(path: Path) -> dict[str, bytes]:
    """The archive's files, each checked against its manifest; refuses anything a backup would not hold."""
    try:
        with tarfile.open(path, "r:gz") as tar:
            members = {m.name: m for m in tar.getmembers()}
            if MANIFEST not in members:
                raise VocalisError(f"{path} is not a Vocalis backup (no {MANIFEST})")
            manifest = json.loads(tar.extractfile(members[MANIFEST]).read())
            if manifest.get("format") != FORMAT:
                raise VocalisError(f"{path} is a backup in format {manifest.get('format')}; this version reads "
                                   f"format {FORMAT}")
            expected = manifest["files"]
            entries = {}
            for name, digest in expected.items():
                member = members.get(name)
                if member is None or not member.isfile() or not _inside(name):
                    raise VocalisError(f"{path} is damaged: {name} is missing or not a plain file")
                data = tar.extractfile(member).read()
                if hashlib.sha256(data).hexdigest() != digest:
                    raise VocalisError(f"{path} is damaged: {name} does not match its checksum")
                entries[name] = data
    except FileNotFoundError:
        raise VocalisError(f"{path}: no such file") from None
    except (tarfile.TarError, EOFError, OSError, ValueError, KeyError) as e:
        raise VocalisError(f"{path} is not a readable Vocalis backup ({e})") from None
    return entries


def _inside(name: str) -> bool:
    """Only the places a backup writes: no absolute paths, no `..`, nothing outside the kept names."""
    parts = PurePosixPath(name).parts
    return (bool(parts) and ".." not in parts and not name.startswith("/")
            and (parts[0] in FOLDERS and len(parts) > 1 or name in FILES or name in DATABASES))


def _holds_data(path: Path) -> bool:
    if path.is_dir():
        return any(p.is_file() for p in path.rglob("*"))
    if path.suffix == ".sqlite3" and path.is_file():  # opened once, it has tables: only rows are data
        with sqlite3.connect(path) as db:
            tables = [t for (t,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
                      if not t.endswith("alembic_version")]  # a schema's revision is not data
            return any(db.execute(f'SELECT 1 FROM "{t}" LIMIT 1').fetchone() for t in tables)
    return path.is_file() and path.stat().st_size > 0

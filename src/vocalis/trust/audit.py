"""The audit log: every synthesis and every consent event, appended, never changed, each record chained to
the one before by a keyed hash, so that `vocalis audit verify` finds any record edited or deleted.

- Each record's `hash` is HMAC-SHA256, under the log's key, of its content and the previous record's hash.
  With a plain hash, whoever can write the database could edit a record and recompute every hash after it;
  with a key they would need the key too. The key is `$VOCALIS_HOME/audit.key` (made on first use, 0600), or
  the file named by VOCALIS_AUDIT_KEY (one key for servers that share a database).
- The head (newest seq and hash) is written with each record: deleting the last records is found too.
- `output_sha256` is the SHA-256 of the output's 16-bit PCM samples, whatever the file format: a lossless file
  can be matched to its record exactly (`vocalis verify`).
- Texts are kept as written, or only as their SHA-256 with VOCALIS_AUDIT_TEXT=hash.
"""

from __future__ import annotations

import getpass
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from vocalis.errors import VocalisError
from vocalis.home import data_home
from vocalis.trust.db import audit_head_table, audit_table, trust_db

KEY_ENV = "VOCALIS_AUDIT_KEY"
TEXT_ENV = "VOCALIS_AUDIT_TEXT"
GENESIS = "0" * 64  # the "previous hash" of the first record
MARK_BITS = 32  # the watermark carries this many bits of id
_FIELDS = ("seq", "time", "event", "who", "voice", "voice_id", "text", "text_sha256", "params", "output_sha256",
           "mark_id", "prev_hash")


@dataclass(frozen=True)
class AuditRecord:
    seq: int
    time: str
    event: str
    who: str
    voice: str | None
    voice_id: str | None
    text: str | None
    text_sha256: str | None
    params: dict
    output_sha256: str | None
    mark_id: int | None
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class AuditCheck:
    records: int
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def local_user() -> str:
    """Who is asking, for requests made on this machine (CLI, Python)."""
    try:
        return f"user:{getpass.getuser()}"
    except (KeyError, OSError):  # no name for this uid (some containers)
        return f"user:{os.getuid()}"


class AuditLog:
    """The log in the configured trust database (see trust.db); cheap to make, reads settings at each use."""

    def append(self, event: str, who: str, *, voice: str | None = None, voice_id: str | None = None,
               text: str | None = None, params: dict | None = None, output_sha256: str | None = None,
               mark_id: int | None = None) -> AuditRecord:
        key = _key()
        row = {
            "time": datetime.now(UTC).isoformat(timespec="milliseconds"), "event": event, "who": who,
            "voice": voice, "voice_id": voice_id,
            "text": None if text is None or os.environ.get(TEXT_ENV) == "hash" else text,
            "text_sha256": None if text is None else hashlib.sha256(text.encode()).hexdigest(),
            "params": json.dumps(params or {}, sort_keys=True, ensure_ascii=False, default=str),
            "output_sha256": output_sha256, "mark_id": None if mark_id is None else int(mark_id),
        }
        db = trust_db()
        for _ in range(50):  # another writer took the place: read the new head and try again
            try:
                with db.begin() as conn:
                    head = conn.execute(select(audit_head_table).where(audit_head_table.c.id == 1)).first()
                    seq, prev = (head.seq + 1, head.hash) if head else (1, GENESIS)
                    row.update(seq=seq, prev_hash=prev)
                    row["hash"] = _digest(key, row)
                    conn.execute(audit_table.insert().values(**row))
                    if head:
                        conn.execute(audit_head_table.update().where(audit_head_table.c.id == 1)
                                     .where(audit_head_table.c.seq == head.seq).values(seq=seq, hash=row["hash"]))
                    else:
                        conn.execute(audit_head_table.insert().values(id=1, seq=seq, hash=row["hash"]))
                return _record(row)
            except IntegrityError:
                continue
        raise VocalisError("could not append to the audit log: too many concurrent writers")

    def new_mark_id(self) -> int:
        """A random watermark id no record holds yet (a random id gives away nothing about the log)."""
        with trust_db().connect() as conn:
            while True:
                mark = secrets.randbits(MARK_BITS)
                if conn.execute(select(audit_table.c.seq).where(audit_table.c.mark_id == mark)).first() is None:
                    return mark

    def by_mark(self, mark_id: int) -> list[AuditRecord]:
        with trust_db().connect() as conn:
            rows = conn.execute(select(audit_table).where(audit_table.c.mark_id == mark_id)
                                .order_by(audit_table.c.seq)).mappings().all()
        return [_record(r) for r in rows]

    def records(self, last: int | None = None) -> list[AuditRecord]:
        """Every record in order, or the `last` N."""
        query = select(audit_table).order_by(audit_table.c.seq.desc() if last else audit_table.c.seq)
        with trust_db().connect() as conn:
            rows = conn.execute(query.limit(last) if last else query).mappings().all()
        return [_record(r) for r in (reversed(rows) if last else rows)]

    def verify(self) -> AuditCheck:
        """Recompute the chain: every record's hash from its content, every link, no gap, the head. The key is
        read at the first record: verifying an empty log makes none (a backup of a new home must not)."""
        key: bytes | None = None
        problems: list[str] = []
        prev_seq, prev_hash, count = 0, GENESIS, 0
        with trust_db().connect() as conn:
            head = conn.execute(select(audit_head_table).where(audit_head_table.c.id == 1)).first()
            for row in conn.execute(select(audit_table).order_by(audit_table.c.seq)).mappings():
                count += 1
                seq = row["seq"]
                if seq != prev_seq + 1:
                    missing = f"{prev_seq + 1}" if seq == prev_seq + 2 else f"{prev_seq + 1}-{seq - 1}"
                    problems.append(f"record {missing} deleted (the log goes from {prev_seq} to {seq})")
                elif row["prev_hash"] != prev_hash:
                    problems.append(f"record {seq} does not follow record {prev_seq}: one of them was edited")
                key = key or _key()
                if not hmac.compare_digest(_digest(key, row), row["hash"]):
                    problems.append(f"record {seq} was edited: its content does not match its hash")
                prev_seq, prev_hash = seq, row["hash"]
        if head is None and count:
            problems.append("the log's head is missing: it was edited")
        elif head is not None and (head.seq, head.hash) != (prev_seq, prev_hash):
            if head.seq > prev_seq:
                problems.append(f"the last records ({prev_seq + 1}-{head.seq}) were deleted")
            else:
                problems.append(f"the log's head (record {head.seq}) does not match its last record ({prev_seq})")
        return AuditCheck(count, problems)


def _digest(key: bytes, row: dict) -> str:
    content = json.dumps([row[f] for f in _FIELDS], ensure_ascii=False, separators=(",", ":"))
    return hmac.new(key, content.encode(), hashlib.sha256).hexdigest()


def _record(row: dict) -> AuditRecord:
    return AuditRecord(**{**dict(row), "params": json.loads(row["params"])})


def _key() -> bytes:
    path = Path(os.environ.get(KEY_ENV) or data_home() / "audit.key")
    try:
        return path.read_bytes()
    except FileNotFoundError:
        if os.environ.get(KEY_ENV):
            raise VocalisError(f"the audit key {path} (VOCALIS_AUDIT_KEY) does not exist") from None
    # First use: a new key, written so that a racing process keeps whichever key landed first.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(secrets.token_bytes(32))
    try:
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        tmp.unlink()
    return path.read_bytes()

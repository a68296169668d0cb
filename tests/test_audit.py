"""The audit log: appended in a chain, and `vocalis audit verify` finds any record edited or deleted (through
the database itself, as someone with access to the file would do it)."""

import sqlite3
import threading

import pytest

from vocalis.studio.cli import main
from vocalis.trust.audit import GENESIS, AuditLog
from vocalis.trust.db import db_url


def _fill(log: AuditLog, n: int = 5) -> None:
    for k in range(n):
        log.append("synthesis", "user:test", voice="jm_kumo", voice_id="v1", text=f"sentence {k}",
                   params={"speed": 1.0, "k": k}, output_sha256=f"{k:064x}", mark_id=1000 + k)


def _sql(statement: str) -> None:
    path = db_url().removeprefix("sqlite:///")
    with sqlite3.connect(path) as db:
        db.execute(statement)


def test_records_chain_and_verify(capsys):
    log = AuditLog()
    _fill(log)
    records = log.records()
    assert [r.seq for r in records] == [1, 2, 3, 4, 5]
    assert records[0].prev_hash == GENESIS
    assert all(b.prev_hash == a.hash for a, b in zip(records, records[1:], strict=False))
    assert records[2].params == {"speed": 1.0, "k": 2} and records[2].text == "sentence 2"
    assert log.by_mark(1003)[0].seq == 4
    assert log.verify().ok
    assert main(["audit", "verify"]) == 0
    assert "5 records, chain intact" in capsys.readouterr().out


@pytest.mark.parametrize("tamper, found", [
    ("UPDATE audit_log SET text = 'something else' WHERE seq = 3", "record 3 was edited"),
    ("UPDATE audit_log SET who = 'user:nobody' WHERE seq = 1", "record 1 was edited"),
    ("UPDATE audit_log SET mark_id = 7 WHERE seq = 5", "record 5 was edited"),
    ("DELETE FROM audit_log WHERE seq = 2", "record 2 deleted"),
    ("DELETE FROM audit_log WHERE seq = 5", "the last records (5-5) were deleted"),
    ("DELETE FROM audit_log", "the last records (1-5) were deleted"),
])
def test_tampering_with_one_row_is_detected(tamper, found, capsys):
    log = AuditLog()
    _fill(log)
    _sql(tamper)
    check = log.verify()
    assert not check.ok and any(found in p for p in check.problems), check.problems
    assert main(["audit", "verify"]) == 1
    assert "TAMPERED" in capsys.readouterr().out


def test_a_recomputed_plain_hash_does_not_pass():
    """Whoever edits a row and recomputes a SHA-256 chain still fails: the hashes are keyed."""
    import hashlib

    log = AuditLog()
    _fill(log, 2)
    forged = hashlib.sha256(b"forged content").hexdigest()
    _sql(f"UPDATE audit_log SET text = 'forged', hash = '{forged}' WHERE seq = 2")
    _sql(f"UPDATE audit_head SET hash = '{forged}'")
    assert any("record 2 was edited" in p for p in log.verify().problems)


def test_texts_can_be_kept_as_hashes_only(monkeypatch):
    monkeypatch.setenv("VOCALIS_AUDIT_TEXT", "hash")
    record = AuditLog().append("synthesis", "user:test", text="a private sentence")
    assert record.text is None and len(record.text_sha256) == 64
    assert AuditLog().verify().ok


def test_concurrent_writers_keep_one_chain():
    log = AuditLog()
    log.append("synthesis", "user:test")  # tables and key made once, before the race

    def writer(k: int) -> None:
        for j in range(10):
            log.append("synthesis", f"user:w{k}", text=f"{k}-{j}")

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    check = log.verify()
    assert check.ok and check.records == 41, check.problems
    assert [r.seq for r in log.records()] == list(range(1, 42))

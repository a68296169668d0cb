"""What the registry asks the on-chain mirror to do, queued in the transaction of the change it mirrors (see
`market.mirror`, which sends it)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import Connection, insert

from vocalis.market.schema import chain_outbox


def enqueue(conn: Connection, kind: str, cid: str, **payload: object) -> None:
    """`mint` (cid, creator, price, use_fee) or `use` (cid, request, value, seq)."""
    conn.execute(insert(chain_outbox).values(kind=kind, cid=cid, payload=json.dumps(payload), status="pending",
                                             attempts=0, created_at=datetime.now(UTC).isoformat(timespec="seconds")))

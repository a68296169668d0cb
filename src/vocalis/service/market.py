"""Market voices in the render path. A request for `market:CID` speaks with the creator's voice on this server
(the buyer never receives its style or model), under a licence of the buyer's: checked before anything renders,
charged once when the speech is complete, from what was made (characters, seconds, the output's watermark id,
which the ledger keeps so that `verify` of the output names the voice, the licence and the buyer).

Market accounts are the audit log's requesters: `key:NAME` for API keys, `user:NAME` on this machine."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from vocalis.errors import LicenceRefused, PaymentRequired

if TYPE_CHECKING:
    from vocalis.engine import Chunk
    from vocalis.service.request import SpeechRequest
    from vocalis.trust.consent import ConsentRecord
    from vocalis.voice.voice import Voice

PREFIX = "market:"


@dataclass(frozen=True)
class MarketUse:
    """What a request for a market voice must carry: its licence, the use it is for, and the key a retry
    repeats (default: a new key, so every call is charged)."""

    licence: str
    use: str = "commercial"
    idempotency_key: str | None = None


def market_cid(request: SpeechRequest) -> str | None:
    name = request.voice_name
    return name[len(PREFIX):] if name and name.startswith(PREFIX) else None


def market_voice(cid: str) -> Voice:
    """The listed voice a market CID speaks with (a delisted one refuses at once)."""
    from vocalis.market.registry import published
    from vocalis.voice.library import load_voice

    item = published(cid)
    if item.status != "listed":
        raise LicenceRefused(f"{item.listing.name} was taken off the market: its licences no longer allow any use")
    return load_voice(item.voice)


def buyer_of(who: str | None) -> str:
    from vocalis.trust.audit import local_user

    return who or local_user()


def authorise_use(request: SpeechRequest, use: MarketUse | None, who: str | None) -> MarketUse:
    """The request's market use, checked (licence, terms, balance) before any work."""
    from vocalis.market.registry import authorise

    if use is None:
        raise PaymentRequired(f"{request.voice} is a market voice: give the licence to speak with (license it "
                              "first: `vocalis market license CID`, POST /v1/market/licences)")
    use = MarketUse(use.licence, use.use, use.idempotency_key or uuid.uuid4().hex)
    authorise(use.licence, buyer_of(who), len(request.text), use.use)
    return use


def metered(chunks: Iterator[Chunk], request: SpeechRequest, use: MarketUse, who: str | None) -> Iterator[Chunk]:
    """The chunks, charged for once the speech is complete (a request dropped half way is not charged)."""
    from vocalis.market.registry import charge

    seconds, mark_id = 0.0, None
    for chunk in chunks:
        seconds += chunk.audio.duration
        mark_id = chunk.credentials.watermark_id if chunk.credentials else mark_id
        yield chunk
    charge(use.licence, buyer_of(who), len(request.text), round(seconds, 3), mark_id,
           use.idempotency_key or uuid.uuid4().hex, use.use)


def revoke_consent(voice: Voice, who: str) -> ConsentRecord:
    """Revoke a voice's consent and take every listing of it off the market, stopping all its licences."""
    from vocalis.market.registry import delist_voice
    from vocalis.trust.consent import revoke

    record = revoke(voice, who)
    delist_voice(voice.id, f"consent revoked by {who}")
    return record

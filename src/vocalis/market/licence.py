"""Licence terms a creator sets for a voice, as plain data: what a use costs, which uses are allowed, until when.

Amounts are integers in the smallest unit of the chain's coin (wei), so a charge and its 80/20 split are exact."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date

from vocalis.errors import VocalisError

USES = ("personal", "commercial", "broadcast", "advertising", "political_ads")
DEFAULT_USES = ("personal", "commercial", "broadcast", "advertising")  # political ads only where a creator allows


@dataclass(frozen=True)
class LicenceTerms:
    per_use: int = 0  # wei per synthesis
    per_1k_chars: int = 0  # wei per 1,000 characters, charged to the character (rounded up)
    subscription_per_30_days: int | None = None  # wei for 30 days of uses, None: not offered
    buyout: int | None = None  # wei for unlimited uses with no expiry, None: not offered
    quota_chars: int | None = None  # most characters one licence may speak, None: no limit
    uses: tuple[str, ...] = field(default=DEFAULT_USES)
    expires: str | None = None  # ISO date after which the voice is no longer licensed

    def __post_init__(self) -> None:
        amounts = [self.per_use, self.per_1k_chars, self.subscription_per_30_days, self.buyout, self.quota_chars]
        if any(a is not None and (not isinstance(a, int) or a < 0) for a in amounts):
            raise VocalisError("licence prices and quotas are whole numbers of wei (or characters), 0 or more")
        unknown = sorted(set(self.uses) - set(USES))
        if unknown:
            raise VocalisError(f"unknown use {', '.join(unknown)}: licence uses are {', '.join(USES)}")
        if self.expires is not None:
            try:
                date.fromisoformat(self.expires)
            except ValueError:
                raise VocalisError(f"licence expiry {self.expires!r} is not a date (YYYY-MM-DD)") from None

    def price(self, characters: int) -> int:
        """What one pay-per-use synthesis of `characters` characters costs, in wei."""
        return self.per_use + -(-characters * self.per_1k_chars // 1000)

    def offers(self) -> list[str]:
        """What a buyer may pay, in words: per use, and the subscription and buyout where offered."""
        offers = [f"{self.per_use} wei per use + {self.per_1k_chars} wei per 1,000 characters"]
        if self.subscription_per_30_days is not None:
            offers.append(f"{self.subscription_per_30_days} wei for 30 days")
        if self.buyout is not None:
            offers.append(f"buyout {self.buyout} wei")
        return offers

    def expired(self, today: date | None = None) -> bool:
        return self.expires is not None and (today or date.today()) > date.fromisoformat(self.expires)

    def to_dict(self) -> dict:
        return {**asdict(self), "uses": list(self.uses)}

    @classmethod
    def from_dict(cls, data: dict) -> LicenceTerms:
        try:
            return cls(**{**data, "uses": tuple(data.get("uses", DEFAULT_USES))})
        except TypeError as e:
            raise VocalisError(f"licence terms are malformed: {e}") from None

"""Errors a user can act on. Surfaces print their message on one line (the CLI exits 2)."""


class VocalisError(Exception):
    """Base class: the message says what was wrong and how to fix it."""


class TextError(VocalisError):
    """The text cannot be spoken (empty, nothing readable, too long)."""


class VoiceError(VocalisError):
    """Unknown or malformed voice."""


class VoiceExists(VoiceError):
    """A name already taken in the library; each surface adds how to replace it (CLI --force, API overwrite)."""

    def __init__(self, name: str):
        super().__init__(f"a voice named {name!r} already exists: pick another name or replace it")


class VoiceNotFound(VoiceError):
    """No voice of that name (the HTTP API answers 404; other voice errors are the request's fault)."""


class DurationError(VocalisError):
    """A target duration too short for the text, even at one frame per phoneme."""


class StretchError(DurationError):
    """A duration far beyond what the text needs (slower than MIN_FIT_SPEED): refused, not stretched.
    `longest` is the most samples the text may be stretched to."""

    def __init__(self, message: str, longest: int):
        super().__init__(message)
        self.longest = longest


class LanguageError(VocalisError):
    """Unknown language code."""


class ConsentError(VocalisError):
    """A cloned voice that may not speak: no consent from the person it copies, consent revoked, or a consent
    check that failed (the HTTP API answers 403)."""


class PackageError(VocalisError):
    """A voice package that cannot be read (not a package, unreadable): the CLI's `package verify` exits 2."""


class PackageTampered(PackageError):
    """A voice package whose bytes or signature do not check: changed after signing, or signed by another key
    (`package verify` exits 1)."""


class MarketError(VocalisError):
    """A market request that cannot be done as asked (unknown voice or licence, a listing not the caller's)."""


class PaymentRequired(MarketError):
    """No licence, or a balance too small for the use: nothing is rendered (the HTTP API answers 402)."""


class LicenceRefused(MarketError):
    """A licence that does not allow this use: expired, revoked, over its quota, a forbidden use, a voice
    delisted (the HTTP API answers 403)."""


class ChainError(MarketError):
    """The chain refused a transaction (its revert reason is in the message) or could not be reached."""

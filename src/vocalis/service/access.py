"""Who may do what with a library voice, where several accounts (API keys) share one server.

A voice made through a key is that key's: its name is kept in the voice's metadata (`owner`), with the keys it
is shared with (`shared_with`, see `vocalis voices share`). Others can neither see, use, delete, nor touch its
consent, and are told the voice does not exist. Built-in voices are everyone's. The local user (the CLI, the
web UI, a server without keys) and operator keys act on every voice, as the owner of the data home."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from vocalis.errors import ConsentError, VoiceError, VoiceNotFound

if TYPE_CHECKING:
    from vocalis.service.request import SpeechRequest
    from vocalis.voice.voice import Voice

OWNER, SHARED = "owner", "shared_with"  # metadata keys


@dataclass(frozen=True)
class Account:
    key: str | None = None  # the API key's name; None: the local user (everything is theirs)
    operator: bool = False

    @property
    def sees_all(self) -> bool:
        return self.key is None or self.operator

    def owns(self, voice: Voice) -> bool:
        return self.sees_all or voice.meta.get(OWNER) == self.key

    def may_use(self, voice: Voice) -> bool:
        return self.owns(voice) or self.key in voice.meta.get(SHARED, ())


LOCAL = Account()


def owned_by(voice: Voice, account: Account) -> Voice:
    """`voice` as `account` saves it: made by it, or, where it replaces a library voice, with that voice's owner
    and sharing kept. Refused when `account` may not change the voice it would replace (checked as it saves:
    another key may have taken the name while a job waited)."""
    from vocalis.voice.library import library_file

    meta = {k: v for k, v in voice.meta.items() if k not in (OWNER, SHARED)}
    if library_file(voice.name) is not None:
        try:
            replaced = owned_voice(voice.name, account).meta
        except VoiceError:
            if not account.sees_all:
                raise
            replaced = {}  # a file that no longer loads (damaged, another base model): the local user replaces it
        meta |= {k: replaced[k] for k in (OWNER, SHARED) if k in replaced}
    elif account.key is not None:
        meta[OWNER] = account.key
    return replace(voice, meta=meta)


def usable_voice(name: str, account: Account) -> Voice:
    """The library voice `name`, if `account` may speak with it (its owner's, or shared with it)."""
    from vocalis.voice.library import load_voice

    try:
        voice = load_voice(name)
    except VoiceError:
        if account.sees_all:
            raise
        # Why a file does not load is its owner's business, and whose file it is cannot be read.
        raise VoiceNotFound(f"no voice named {name!r} in the library") from None
    if not account.may_use(voice):
        raise VoiceNotFound(f"no voice named {name!r} in the library")  # another's voice: not even its name
    return voice


def owned_voice(name: str, account: Account) -> Voice:
    """The library voice `name`, if `account` may change it (delete, consent, training): its owner, an operator
    or the local user."""
    voice = usable_voice(name, account)
    if not account.owns(voice):
        raise ConsentError(f"voice {name!r} is shared with you: only its owner ({voice.meta.get(OWNER)}) or an "
                           "operator may change it or its consent")
    return voice


def check_request_voice(request: SpeechRequest, account: Account) -> None:
    """Refuses a request for a library voice `account` may not use (built-in voices are everyone's)."""
    if request.voice_name is not None:
        check_voice_name(request.voice_name, account)


def check_voice_name(name: str, account: Account) -> None:
    """Refuses the name of a library voice `account` may not use (built-in voices are everyone's)."""
    from vocalis.voice.builtin import builtin_voices
    from vocalis.voice.library import library_file

    if name not in builtin_voices() and library_file(name) is not None:
        usable_voice(name, account)


def visible(voices: list[Voice], account: Account) -> list[Voice]:
    return [v for v in voices if account.may_use(v)]


def share(name: str, key: str, shared: bool = True) -> Voice:
    """Share the library voice `name` with the API key `key` (or stop sharing it); the local user's act."""
    from vocalis.voice.library import load_voice, save_voice

    voice = load_voice(name)
    keys = set(voice.meta.get(SHARED, ())) - {key}
    voice = replace(voice, meta={**voice.meta, SHARED: sorted(keys | {key} if shared else keys)})
    save_voice(voice, overwrite=True)
    return voice

"""Voice packages for the market (see `market.package`): a library voice whose owner consented, exported with
its listing, licence terms and a watermarked sample, signed with this machine's creator key and kept in the
package store by CID; a package file verified; a package imported into the library (its bytes, signature and
base model checked first)."""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from vocalis.errors import ConsentError, PackageError, PackageTampered, VoiceError
from vocalis.market.licence import LicenceTerms
from vocalis.market.package import Listing, Package, build_package, canonical_json, read_package
from vocalis.service.access import LOCAL, Account, owned_by, owned_voice

if TYPE_CHECKING:
    from vocalis.service.vocalis import Vocalis
    from vocalis.voice.voice import Voice


@dataclass(frozen=True)
class PackageOptions:
    """What a creator says about a voice they package."""

    description: str = ""
    gender: str = ""
    age: str = ""
    tags: tuple[str, ...] = ()
    sample_text: str | None = None  # None: the voice's language's preview sentence
    licence: LicenceTerms = field(default_factory=LicenceTerms)


def export_package(tts: Vocalis, name: str, output: str | Path | None = None,
                   options: PackageOptions | None = None, account: Account = LOCAL) -> tuple[Path, Package]:
    """Package the library voice `name` (its owner's, with consent) into `output` (default NAME.vvp)."""
    data = package_voice(tts, name, options, account)
    package = read_package(data)
    path = Path(output) if output else Path(f"{package.listing.name}.vvp")
    _write_atomically(path, data)
    return path, package


def package_voice(tts: Vocalis, name: str, options: PackageOptions | None = None,
                  account: Account = LOCAL) -> bytes:
    """The signed package of the library voice `name` (its owner's, with consent), also kept in the package
    store by its CID."""
    from vocalis.acoustic.assets import model_sha256
    from vocalis.market.keys import creator_key
    from vocalis.market.store import package_store
    from vocalis.service.encode import encode
    from vocalis.service.vocalis import PREVIEW_SENTENCES

    options = options or PackageOptions()
    voice = owned_voice(name, account)
    consent = _consent_sha256(voice)
    text = options.sample_text or PREVIEW_SENTENCES.get(voice.language, PREVIEW_SENTENCES["en"])
    who = f"key:{account.key}" if account.key else None
    sample = encode(tts.synthesize(text, voice, lang=voice.language, who=who), "wav")
    listing = Listing(name=voice.name, languages=(voice.language,), description=options.description or
                      voice.description, gender=options.gender, age=options.age, tags=tuple(options.tags),
                      sample_text=text)
    data = build_package(listing, options.licence, f"voice{voice.suffix}", _voice_bytes(voice), sample,
                         voice_id=voice.id, base_model_sha256=model_sha256(), consent_sha256=consent,
                         key=creator_key(account.key))
    package_store().put(data)
    return data


def verify_package(path: str | Path) -> Package:
    """The package file at `path`, checked (see `market.package.read_package`)."""
    return read_package(_read(path))


def import_package(path: str | Path, name: str | None = None, overwrite: bool = False,
                   account: Account = LOCAL) -> Voice:
    """Add a package's voice to the library, refusing changed bytes, a bad signature or another base model.
    The voice keeps where it came from (CID, creator, licence); it speaks once consent is on record here."""
    from vocalis.acoustic.assets import model_sha256
    from vocalis.voice.library import check_name, save_voice
    from vocalis.voice.voice import Voice

    package = verify_package(path)
    if package.base_model_sha256 != model_sha256():
        raise PackageError(f"the package's voice was made over another base model (SHA-256 "
                           f"{package.base_model_sha256[:12]}…, this one is {model_sha256()[:12]}…): it cannot "
                           "be used here")
    with tempfile.TemporaryDirectory() as folder:
        voice_path = Path(folder) / package.voice_file
        voice_path.write_bytes(package.voice_bytes)
        voice = Voice.load(voice_path)
    if voice.id != package.voice_id:
        raise PackageTampered("the package's voice is not the one its manifest names")
    meta = {**voice.meta, "package": {"cid": package.cid, "creator": package.creator,
                                      "licence": package.licence.to_dict(), "consent_sha256": package.consent_sha256}}
    voice = replace(voice, name=check_name(name or package.listing.name), meta=meta)
    save_voice(owned_by(voice, account), overwrite=overwrite)
    return voice


def _consent_sha256(voice: Voice) -> str:
    """The hash of the voice's active consent record: a voice nobody consented to is not packaged."""
    from vocalis.trust.consent import consent_for, is_builtin

    if is_builtin(voice):
        raise VoiceError(f"{voice.name!r} is a built-in voice: only your own cloned or trained voices are packaged")
    record = consent_for(voice)
    if record is None or not record.active:
        raise ConsentError(f"voice {voice.name!r} has no active consent record, so it cannot be packaged for the "
                           f"market: its owner consents first (`vocalis consent record {voice.name}`)")
    return hashlib.sha256(canonical_json(asdict(record))).hexdigest()


def _voice_bytes(voice: Voice) -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        return voice.save(Path(folder) / "voice").read_bytes()


def _read(path: str | Path) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as e:
        raise PackageError(f"cannot read {path}: {e.strerror or e}") from None


def _write_atomically(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(data)
        tmp.replace(path)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        raise PackageError(f"cannot write {path}: {e.strerror or e}") from None

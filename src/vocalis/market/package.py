"""The voice package (`.vvp`): a voice, its listing, a watermarked sample, its consent record's hash and its
licence terms, signed by its creator's Ed25519 key. Its identity is the IPFS CIDv1 of its bytes.

The package is a zip with a canonical layout, so equal content gives equal bytes and an equal CID: entries
stored (not compressed) in a fixed order with fixed dates, `vvp.json` (the manifest, canonical JSON holding the
SHA-256 of every other entry), the voice file, `sample.wav`, and `signature.json` (the creator's signature over
the manifest's bytes). Changing any byte of any entry breaks a hash or the signature."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from vocalis.errors import PackageError, PackageTampered
from vocalis.market.cid import cid_of_bytes
from vocalis.market.keys import public_text, sign, signed_by
from vocalis.market.licence import LicenceTerms

if TYPE_CHECKING:
    from vocalis.market.licensed import LicenceGrant

FORMAT = "vocalis-voice-package"
VERSION = 1
MANIFEST, SAMPLE, SIGNATURE = "vvp.json", "sample.wav", "signature.json"
VOICE_FILES = ("voice.npz", "voice.safetensors")  # a clone's style, or a trained voice model
ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # the zip format's earliest: no clock in the bytes
MAX_BYTES = 64 << 20  # a voice model is a few MB: a bigger "package" is refused before it is unpacked


@dataclass(frozen=True)
class Listing:
    """What a buyer browses by."""

    name: str
    languages: tuple[str, ...]
    description: str = ""
    gender: str = ""  # a hint: "female", "male", ""
    age: str = ""  # a hint: "child", "young", "adult", "senior", ""
    tags: tuple[str, ...] = ()
    sample_text: str = ""

    def to_dict(self) -> dict:
        return {"name": self.name, "languages": list(self.languages), "description": self.description,
                "gender": self.gender, "age": self.age, "tags": list(self.tags), "sample_text": self.sample_text}

    @classmethod
    def from_dict(cls, data: dict) -> Listing:
        return cls(**{**data, "languages": tuple(data["languages"]), "tags": tuple(data.get("tags", ()))})


@dataclass(frozen=True)
class Package:
    """A package read and checked: its bytes hash and its creator's signature hold."""

    cid: str
    listing: Listing
    licence: LicenceTerms
    creator: str  # the creator's public key, base64
    voice_file: str  # one of VOICE_FILES
    voice_bytes: bytes = field(repr=False)
    sample: bytes = field(repr=False)
    voice_id: str = ""
    base_model_sha256: str = ""
    consent_sha256: str = ""
    created_at: str = ""
    size: int = 0
    grant: LicenceGrant | None = None  # a buyer's copy: the licence it carries (see market.licensed)


def build_package(listing: Listing, licence: LicenceTerms, voice_file: str, voice_bytes: bytes, sample: bytes, *,
                  voice_id: str, base_model_sha256: str, consent_sha256: str, key: Ed25519PrivateKey) -> bytes:
    """The package's bytes, signed with `key` (the creator's)."""
    if voice_file not in VOICE_FILES:
        raise PackageError(f"a package holds {' or '.join(VOICE_FILES)}, not {voice_file}")
    manifest = {
        "format": FORMAT, "version": VERSION, "listing": listing.to_dict(), "licence": licence.to_dict(),
        "voice": {"file": voice_file, "id": voice_id, "base_model_sha256": base_model_sha256},
        "consent_sha256": consent_sha256, "creator": public_text(key),
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "files": {voice_file: _sha256(voice_bytes), SAMPLE: _sha256(sample)},
    }
    manifest_bytes = canonical_json(manifest)
    signature = canonical_json({"algorithm": "ed25519", "public_key": manifest["creator"],
                                "signature": sign(key, manifest_bytes)})
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:
        for name, data in ((MANIFEST, manifest_bytes), (voice_file, voice_bytes), (SAMPLE, sample),
                           (SIGNATURE, signature)):
            z.writestr(zip_entry(name), data)
    return out.getvalue()


def zip_entry(name: str) -> zipfile.ZipInfo:
    """An entry as every package writes it: the same bytes on every OS and at any time."""
    info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
    info.create_system, info.external_attr = 3, 0o644 << 16
    return info


def read_package(data: bytes) -> Package:
    """The package in `data`, checked: PackageError when it is no package, PackageTampered when a hash or the
    signature fails (its bytes were changed after signing)."""
    entries = _entries(data)
    manifest_bytes = entries[MANIFEST]
    manifest = _json(manifest_bytes, MANIFEST)
    if manifest.get("format") != FORMAT:
        raise PackageError(f"not a Vocalis voice package (format {manifest.get('format')!r})")
    if int(manifest.get("version", 0)) > VERSION:
        raise PackageError(f"a voice package of version {manifest['version']}; this Vocalis reads version "
                           f"{VERSION}: upgrade Vocalis")
    signature = _json(entries[SIGNATURE], SIGNATURE)
    creator = manifest.get("creator", "")
    if signature.get("public_key") != creator or not signed_by(creator, manifest_bytes,
                                                               signature.get("signature", "")):
        raise PackageTampered("the creator's signature does not match the package's manifest: it was changed "
                              "after signing, or signed by another key")
    files = manifest.get("files", {})
    from vocalis.market.licensed import GRANT, GRANT_SIGNATURE, read_grant

    if set(entries) - {GRANT, GRANT_SIGNATURE} != {MANIFEST, SIGNATURE, *files}:
        raise PackageTampered(f"the package holds {sorted(entries)}, its manifest lists {sorted(files)}")
    grant = read_grant(entries)
    for name, digest in files.items():
        if _sha256(entries[name]) != digest:
            raise PackageTampered(f"{name} in the package was changed after signing (its SHA-256 differs)")
    try:
        voice = manifest["voice"]
        return Package(cid=cid_of_bytes(data), listing=Listing.from_dict(manifest["listing"]),
                       licence=LicenceTerms.from_dict(manifest["licence"]), creator=creator,
                       voice_file=voice["file"], voice_bytes=entries[voice["file"]], sample=entries[SAMPLE],
                       voice_id=voice["id"], base_model_sha256=voice["base_model_sha256"],
                       consent_sha256=manifest["consent_sha256"], created_at=manifest["created_at"], size=len(data),
                       grant=grant)
    except (KeyError, TypeError, ValueError) as e:
        raise PackageError(f"the package's manifest is malformed ({type(e).__name__}: {e})") from None


def canonical_json(value: dict) -> bytes:
    """One byte string per value: sorted keys, no spaces, UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _entries(data: bytes) -> dict[str, bytes]:
    if len(data) > MAX_BYTES:
        raise PackageError(f"{len(data) >> 20} MB is too big for a voice package (at most {MAX_BYTES >> 20} MB)")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as e:
        raise PackageError(f"not a voice package (.vvp): {e}") from None
    with archive:
        if sum(info.file_size for info in archive.infolist()) > MAX_BYTES:
            raise PackageError(f"the package unpacks to over {MAX_BYTES >> 20} MB: not a voice package")
        try:
            entries = {info.filename: archive.read(info) for info in archive.infolist()}
        except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError) as e:  # a bad CRC: bytes changed
            raise PackageTampered(f"the package's bytes were changed after it was written: {e}") from None
    missing = [name for name in (MANIFEST, SIGNATURE, SAMPLE) if name not in entries]
    if missing or not any(name in entries for name in VOICE_FILES):
        raise PackageError(f"not a voice package (.vvp): it lacks {', '.join(missing) or 'a voice file'}")
    return entries


def _json(data: bytes, name: str) -> dict:
    try:
        value = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise PackageTampered(f"{name} in the package is not JSON: {e}") from None
    if not isinstance(value, dict):
        raise PackageTampered(f"{name} in the package is not a JSON object")
    return value


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()

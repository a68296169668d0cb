"""C2PA content credentials: every WAV, MP3, FLAC and M4A file Vocalis writes carries a signed manifest saying that
it is AI-generated speech (digitalSourceType trainedAlgorithmicMedia), with which voice and model, and when. A
changed byte of the audio, of what the manifest states or of its signature makes the manifest read as invalid (what
C2PA leaves unsigned in a manifest is its boxes' labels, a few dozen bytes that state nothing).

Signing identity. By default a local CA and a signer certificate issued by it are created on first use under
<data home>/c2pa (ca.pem, ca.key, signer.pem, signer.key; the folder and keys are private to the user). Files then
verify as "trusted" on this installation; anywhere else they verify as "untrusted" unless that CA is made an anchor
there. Removing the folder makes a new identity, and files signed with the old one then verify as "untrusted".

Organisations that have their own PKI set, for signing and verifying:
  VOCALIS_C2PA_CERT   PEM file: the signer certificate first, then its intermediates (the root may follow). C2PA
                      requires KeyUsage digitalSignature and an ExtendedKeyUsage of emailProtection, documentSigning
                      or C2PA claim signing (1.3.6.1.4.1.62558.2.1); the certificate must not be a CA.
  VOCALIS_C2PA_KEY    PEM file: its private key, unencrypted. The algorithm follows the key: EC P-256/P-384/P-521
                      sign ES256/ES384/ES512, RSA signs PS256, Ed25519 signs Ed25519.
  VOCALIS_C2PA_TRUST  PEM file of trust anchors (root certificates) that `vocalis verify` accepts; default: the
                      local CA. Set it to the organisation's root when signing with VOCALIS_C2PA_CERT.
These files are read once per process. Signing is offline: there is no time-stamp authority, so a manifest stays
valid only while the signer certificate does (the local one is valid for 25 years).
"""

from __future__ import annotations

import io
import os
import shutil
from pathlib import Path
from typing import IO

from vocalis.errors import VocalisError
from vocalis.trust.provenance_manifest import (
    ASSERTION,
    MIME_TYPES,
    SIGNED_SUFFIXES,
    TRAINED_ALGORITHMIC_MEDIA,
    Credentials,
    ManifestReport,
    State,
    manifest_definition,
    mime_type,
)
from vocalis.trust.provenance_reading import PADDING_ALTERED, read_manifest
from vocalis.trust.provenance_signer import c2pa_signer, load_c2pa

__all__ = ["ASSERTION", "MIME_TYPES", "PADDING_ALTERED", "SIGNED_SUFFIXES", "TRAINED_ALGORITHMIC_MEDIA", "Credentials",
           "ManifestReport", "State", "read_credentials", "sign_bytes", "sign_file"]


def sign_bytes(data: bytes, suffix_or_mime: str, creds: Credentials, *, title: str = "Vocalis speech") -> bytes:
    """The audio with a signed manifest embedded. Raises VocalisError for a format that cannot carry one."""
    mime = mime_type(suffix_or_mime)
    if mime is None:
        raise VocalisError(f"cannot sign {suffix_or_mime} audio: content credentials fit {', '.join(MIME_TYPES)}")
    out = io.BytesIO()
    _sign(io.BytesIO(data), out, mime, creds, title)
    return out.getvalue()


def sign_file(path: Path, creds: Credentials) -> bool:
    """Embed a signed manifest in place (the file is replaced whole, or left as it was). False, leaving the file
    unsigned, for a format that cannot carry one."""
    mime = mime_type(path.suffix)
    if mime is None:
        return False
    tmp = path.with_name(f".{path.name}.c2pa")
    try:
        with open(path, "rb") as src, open(tmp, "w+b") as dst:
            _sign(src, dst, mime, creds, path.name)
        shutil.copymode(path, tmp)
        os.replace(tmp, path)
    except OSError as e:
        raise VocalisError(f"cannot sign {path}: {e.strerror or e}") from None
    finally:
        tmp.unlink(missing_ok=True)
    return True


def read_credentials(source: Path | str | bytes, suffix_or_mime: str | None = None) -> ManifestReport:
    """Validate the file's manifest against the trust anchors (VOCALIS_C2PA_TRUST, else the local CA). A format
    that cannot carry a manifest reads as "absent". Raises VocalisError only for a file that cannot be read."""
    if isinstance(source, bytes):
        if suffix_or_mime is None:
            raise ValueError("reading bytes needs their suffix or MIME type")
        mime = mime_type(suffix_or_mime)
        return read_manifest(io.BytesIO(source), mime) if mime else ManifestReport("absent")
    path = Path(source)
    mime = mime_type(suffix_or_mime or path.suffix)
    try:
        with open(path, "rb") as f:
            return read_manifest(f, mime) if mime else ManifestReport("absent")
    except OSError as e:
        raise VocalisError(f"cannot read {path}: {e.strerror or e}") from None


def _sign(src: IO[bytes], dst: IO[bytes], mime: str, creds: Credentials, title: str) -> None:
    c2pa = load_c2pa()
    signer, context = c2pa_signer()
    try:
        with c2pa.Builder(manifest_definition(creds, title), context=context) as builder:
            builder.sign(signer, mime, src, dst)
    except c2pa.C2paError as e:
        raise VocalisError(f"cannot sign {title}: {e}") from None

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
import json
import os
import re
import shutil
import socket
import tempfile
import threading
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, TYPE_CHECKING, Literal

from vocalis.errors import VocalisError
from vocalis.home import data_home

if TYPE_CHECKING:
    import c2pa

MIME_TYPES: dict[str, str] = {".wav": "audio/wav", ".mp3": "audio/mpeg", ".flac": "audio/flac", ".m4a": "audio/mp4"}
SIGNED_SUFFIXES: frozenset[str] = frozenset(MIME_TYPES)  # others (.ogg .opus .pcm) cannot carry a manifest

ASSERTION = "org.vocalis.synthesis"
TRAINED_ALGORITHMIC_MEDIA = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
# c2pa accepts only emailProtection unless told otherwise; organisations' certificates commonly carry one of the other
# two (documentSigning, C2PA claim signing). Used both when signing (c2pa verifies after signing) and when reading.
_SIGNER_EKUS = "1.3.6.1.5.5.7.3.4\n1.3.6.1.5.5.7.3.36\n1.3.6.1.4.1.62558.2.1\n"
# The JUMBF description-box UUID of a C2PA manifest store: present in a file whose manifest was damaged so badly that
# c2pa no longer finds it, which must read as "invalid", not "absent".
_STORE_UUID = b"c2pa\x00\x11\x00\x10\x80\x00\x00\xaa\x00\x38\x9b\x71"
_UNTRUSTED = "signingCredential.untrusted"
PADDING_ALTERED = "signature.padding.altered"  # ours, not c2pa's: see _padding_altered
_PAD_KEY = re.compile(rb"\x63pad|\x64pad2")  # the CBOR text keys "pad" and "pad2"
_LOCAL_CA_YEARS, _LOCAL_SIGNER_YEARS = 30, 25

State = Literal["trusted", "untrusted", "invalid", "absent"]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Credentials:
    """What a manifest says about the speech, beyond "AI-generated"."""

    voice: str
    voice_id: str
    model: str
    watermark_id: int | None  # the ID watermark's payload, which also keys the audit record
    created: str = field(default_factory=_now)  # ISO 8601, UTC
    audit_seq: int | None = None  # the audit record of this output


@dataclass(frozen=True)
class ManifestReport:
    """What `read_credentials` found; state "absent" when the file has no manifest (or its format cannot hold one)."""

    state: State  # invalid: changed after signing; untrusted: intact, but the signer is not under a trust anchor
    errors: list[str] = field(default_factory=list)  # C2PA validation failure codes
    credentials: Credentials | None = None  # as the manifest claims them (also when invalid: what was claimed)
    signer: str | None = None  # the signing certificate's common name


def sign_bytes(data: bytes, suffix_or_mime: str, creds: Credentials, *, title: str = "Vocalis speech") -> bytes:
    """The audio with a signed manifest embedded. Raises VocalisError for a format that cannot carry one."""
    mime = _mime(suffix_or_mime)
    if mime is None:
        raise VocalisError(f"cannot sign {suffix_or_mime} audio: content credentials fit {', '.join(MIME_TYPES)}")
    out = io.BytesIO()
    _sign(io.BytesIO(data), out, mime, creds, title)
    return out.getvalue()


def sign_file(path: Path, creds: Credentials) -> bool:
    """Embed a signed manifest in place (the file is replaced whole, or left as it was). False, leaving the file
    unsigned, for a format that cannot carry one."""
    mime = _mime(path.suffix)
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
        mime = _mime(suffix_or_mime)
        return _read(io.BytesIO(source), mime) if mime else ManifestReport("absent")
    path = Path(source)
    mime = _mime(suffix_or_mime or path.suffix)
    try:
        with open(path, "rb") as f:
            return _read(f, mime) if mime else ManifestReport("absent")
    except OSError as e:
        raise VocalisError(f"cannot read {path}: {e.strerror or e}") from None


def _mime(suffix_or_mime: str) -> str | None:
    key = suffix_or_mime.lower()
    if key in MIME_TYPES.values():
        return key
    return MIME_TYPES.get(key if key.startswith(".") else f".{key}")


def _c2pa():
    """c2pa loads a native library (a quarter of a second): only when a file is signed or read."""
    import c2pa

    return c2pa


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("vocalis")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"


def _manifest(creds: Credentials, title: str) -> dict:
    agent = {"name": "Vocalis", "version": _version()}
    created = {"action": "c2pa.created", "when": creds.created, "softwareAgent": agent,
               "digitalSourceType": TRAINED_ALGORITHMIC_MEDIA,
               "description": f"Speech synthesised by Vocalis ({creds.model}) in the voice {creds.voice!r}"}
    return {"title": title, "claim_generator_info": [agent],
            "assertions": [{"label": "c2pa.actions", "data": {"actions": [created]}},
                           {"label": ASSERTION, "data": asdict(creds)}]}


def _sign(src: IO[bytes], dst: IO[bytes], mime: str, creds: Credentials, title: str) -> None:
    c2pa = _c2pa()
    signer, context = _signer()
    try:
        with c2pa.Builder(_manifest(creds, title), context=context) as builder:
            builder.sign(signer, mime, src, dst)
    except c2pa.C2paError as e:
        raise VocalisError(f"cannot sign {title}: {e}") from None


def _read(stream: IO[bytes], mime: str) -> ManifestReport:
    c2pa = _c2pa()
    try:
        reader = c2pa.Reader(mime, stream, context=_verify_context())
    except c2pa.C2paError.ManifestNotFound:
        # Remains of a manifest store mean it was signed and then damaged where c2pa looks for the manifest
        return ManifestReport("invalid", ["manifest.unreadable"]) if _store_window(stream) else ManifestReport("absent")
    except c2pa.C2paError as e:  # a manifest (or the file around it) that c2pa cannot parse
        return ManifestReport("invalid", [f"manifest.unreadable: {e}"])
    with reader:
        store = json.loads(reader.json())
    # Read defensively: a damaged store can parse yet lack the pieces a whole one has (its active manifest, even).
    manifest = store.get("manifests", {}).get(store.get("active_manifest"))
    codes = [f["code"] for f in store.get("validation_results", {}).get("activeManifest", {}).get("failure", [])]
    if manifest is None:
        return ManifestReport("invalid", codes or ["claim.missing"])
    validation = store.get("validation_state")
    if validation != "Invalid" and _padding_altered(_store_window(stream) or b""):
        codes.append(PADDING_ALTERED)
    if validation == "Invalid" or any(code != _UNTRUSTED for code in codes):
        state: State = "invalid"
    else:
        state = "trusted" if validation == "Trusted" else "untrusted"
    claimed = next((a.get("data") for a in manifest.get("assertions", []) if a.get("label") == ASSERTION), None)
    return ManifestReport(state, codes, _credentials(claimed), manifest.get("signature_info", {}).get("common_name"))


def _credentials(data: object) -> Credentials | None:
    """The assertion back as Credentials; None when missing or not Vocalis's shape (another tool's manifest)."""
    if not isinstance(data, dict) or not all(isinstance(data.get(k), str) for k in ("voice", "voice_id", "model")):
        return None
    return Credentials(data["voice"], data["voice_id"], data["model"], data.get("watermark_id"),
                       str(data.get("created", "")), data.get("audit_seq"))


def _store_window(stream: IO[bytes]) -> bytes | None:
    """Up to 1 MiB of the file from its manifest store's JUMBF description on; None when it has none. Read in chunks:
    the store of a WAV file is at its end, and files can be long."""
    stream.seek(0)
    offset, tail = 0, b""
    while chunk := stream.read(1 << 20):
        found = (tail + chunk).find(_STORE_UUID)
        if found >= 0:
            stream.seek(offset - len(tail) + found)
            return stream.read(1 << 20)
        offset += len(chunk)
        tail = chunk[1 - len(_STORE_UUID):]
    return None


def _padding_altered(window: bytes) -> bool:
    """c2pa reserves room for the signature and fills what the signature leaves of it with zeros, in the COSE
    header's "pad" (and "pad2") byte strings, which the signature does not cover: without this check, any of those
    ~1000 bytes could be changed and the file would still read as intact."""
    signature = window.find(b"c2pa.signature\x00")
    if signature < 0:
        return False
    for key in _PAD_KEY.finditer(window, signature):
        head, start = window[key.end():key.end() + 1], key.end() + 1
        if not head or not 0x40 <= head[0] <= 0x5A:  # not a byte string: "pad" meant something else here
            continue
        length = head[0] - 0x40
        if length >= 0x18:  # the length follows in 1, 2 or 4 bytes
            size = 1 << (length - 0x18)
            length, start = int.from_bytes(window[start:start + size]), start + size
        if any(window[start:start + length]):
            return True
    return False


# Signers and contexts are built once per process (a forked child builds its own: c2pa refuses a parent's handles).
_lock = threading.Lock()
_signers: dict[tuple, tuple[c2pa.Signer, c2pa.Context]] = {}
_verify_contexts: dict[tuple, c2pa.Context] = {}


def _signer() -> tuple[c2pa.Signer, c2pa.Context]:
    cert, key = os.environ.get("VOCALIS_C2PA_CERT"), os.environ.get("VOCALIS_C2PA_KEY")
    if bool(cert) != bool(key):
        raise VocalisError("set both VOCALIS_C2PA_CERT and VOCALIS_C2PA_KEY (the signer's certificate chain and its "
                           "private key), or neither to sign with the local CA")
    cache_key = (os.getpid(), cert, key) if cert and key else (os.getpid(), str(_local_dir()))
    with _lock:
        if cache_key not in _signers:
            chain, key_pem, alg = _organisation_identity(Path(cert), Path(key)) if cert and key else _local_identity()
            c2pa = _c2pa()
            try:
                signer = c2pa.Signer.from_info(c2pa.C2paSignerInfo(alg, chain, key_pem, None))
            except c2pa.C2paError as e:
                raise VocalisError(f"cannot sign with {cert or _local_dir()}: {e}") from None
            context = c2pa.Context(c2pa.Settings.from_dict({"trust": {"trust_config": _SIGNER_EKUS}}))
            _signers[cache_key] = (signer, context)
        return _signers[cache_key]


def _verify_context() -> c2pa.Context:
    trust = os.environ.get("VOCALIS_C2PA_TRUST")
    cache_key = (os.getpid(), trust or str(_local_dir()))
    with _lock:
        if cache_key not in _verify_contexts:
            anchors = _certificates(Path(trust), "VOCALIS_C2PA_TRUST") if trust else _local_ca()
            c2pa = _c2pa()
            settings = {"verify": {"verify_trust": True, "remote_manifest_fetch": False},  # offline
                        "trust": {"trust_anchors": anchors.decode(), "trust_config": _SIGNER_EKUS}}
            _verify_contexts[cache_key] = c2pa.Context(c2pa.Settings.from_dict(settings))
        return _verify_contexts[cache_key]


def _certificates(path: Path, what: str) -> bytes:
    """A PEM file of one or more certificates, checked here so that a bad file names itself."""
    from cryptography import x509

    data = _read_file(path, what)
    try:
        x509.load_pem_x509_certificates(data)
    except ValueError:
        raise VocalisError(f"{what}: {path} holds no PEM certificates") from None
    return data


def _read_file(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as e:
        raise VocalisError(f"{what}: cannot read {path}: {e.strerror or e}") from None


def _organisation_identity(cert_path: Path, key_path: Path) -> tuple[bytes, bytes, str]:
    """(chain PEM, PKCS#8 key PEM, c2pa algorithm) from the organisation's files."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

    chain = _certificates(cert_path, "VOCALIS_C2PA_CERT")
    try:
        key = serialization.load_pem_private_key(_read_file(key_path, "VOCALIS_C2PA_KEY"), password=None)
    except (ValueError, TypeError) as e:  # TypeError: the key is encrypted
        raise VocalisError(f"VOCALIS_C2PA_KEY: {key_path} is not an unencrypted PEM private key ({e})") from None
    curves = {"secp256r1": "es256", "secp384r1": "es384", "secp521r1": "es512"}
    if isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.name in curves:
        alg = curves[key.curve.name]
    elif isinstance(key, rsa.RSAPrivateKey):
        alg = "ps256"  # C2PA allows RSA only with PSS padding
    elif isinstance(key, ed25519.Ed25519PrivateKey):
        alg = "ed25519"
    else:
        raise VocalisError(f"VOCALIS_C2PA_KEY: C2PA cannot sign with this kind of key ({type(key).__name__}); use EC "
                           "P-256/P-384/P-521, RSA or Ed25519")
    spki = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    first = x509.load_pem_x509_certificates(chain)[0]
    if first.public_key().public_bytes(*spki) != key.public_key().public_bytes(*spki):
        raise VocalisError(f"VOCALIS_C2PA_CERT: the first certificate in {cert_path} is not the one for the key in "
                           f"{key_path} (the signer's certificate must come first)")
    pkcs8 = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption())
    return chain, pkcs8, alg


# --- the local CA ---------------------------------------------------------------------------------------------------

_LOCAL_FILES = ("ca.pem", "ca.key", "signer.pem", "signer.key")


def _local_dir() -> Path:
    return data_home() / "c2pa"


def _local_ca() -> bytes:
    return _load_local()[0]


def _local_identity() -> tuple[bytes, bytes, str]:
    _, _, chain, key = _load_local()
    return chain, key, "es256"


def _load_local() -> tuple[bytes, ...]:
    """The local identity's files, created on first use. They are made in a private temporary folder that is then
    renamed into place, so a reader sees all four or none; when two processes race, the loser's rename fails (the
    folder exists, not empty) and it uses the winner's."""
    folder = _local_dir()
    if not folder.is_dir():
        try:
            tmp = Path(tempfile.mkdtemp(prefix=".c2pa-", dir=folder.parent))  # mode 0700
            try:
                for name, data in zip(_LOCAL_FILES, _new_local_identity(), strict=True):
                    _write_private(tmp / name, data)
                os.rename(tmp, folder)
            except OSError:
                if not folder.is_dir():
                    raise
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
        except OSError as e:
            raise VocalisError(f"cannot create the C2PA signing identity in {folder}: {e.strerror or e}") from None
    try:
        return tuple((folder / name).read_bytes() for name in _LOCAL_FILES)
    except OSError as e:
        raise VocalisError(f"the local C2PA signing identity in {folder} is incomplete ({e.strerror}: {e.filename}); "
                           "remove that folder to make a new one") from None


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())  # the folder is renamed into place next: its files must not be empty after a crash


def _new_local_identity() -> tuple[bytes, bytes, bytes, bytes]:
    """(CA cert, CA key, signer chain, signer key) as PEM: a P-256 CA and a signer certificate it issued, with the
    extensions c2pa's certificate profile checks."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    host = socket.gethostname()[:40] or "localhost"  # a common name holds at most 64 characters
    start = datetime.now(UTC) - timedelta(days=1)  # a day's grace for verifiers whose clocks are behind

    def name(common_name: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name),
                          x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Vocalis")])

    def usage(**on: bool) -> x509.KeyUsage:
        flags = ("digital_signature", "content_commitment", "key_encipherment", "data_encipherment", "key_agreement",
                 "key_cert_sign", "crl_sign", "encipher_only", "decipher_only")
        return x509.KeyUsage(**{flag: on.get(flag, False) for flag in flags})

    def certificate(subject: x509.Name, issuer: x509.Name, key: ec.EllipticCurvePrivateKey,
                    issuer_key: ec.EllipticCurvePrivateKey, years: int, *extensions: x509.ExtensionType
                    ) -> x509.Certificate:
        builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(start)
                   .not_valid_after(start + timedelta(days=365 * years))
                   .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False))
        for extension in extensions:  # the constraints and usages are critical; the rest are not
            critical = isinstance(extension, x509.BasicConstraints | x509.KeyUsage)
            builder = builder.add_extension(extension, critical=critical)
        return builder.sign(issuer_key, hashes.SHA256())

    def pem(item: x509.Certificate | ec.EllipticCurvePrivateKey) -> bytes:
        if isinstance(item, x509.Certificate):
            return item.public_bytes(serialization.Encoding.PEM)
        return item.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption())

    ca_key, signer_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = name(f"Vocalis local CA ({host})")
    ca = certificate(ca_name, ca_name, ca_key, ca_key, _LOCAL_CA_YEARS,
                     x509.BasicConstraints(ca=True, path_length=0), usage(key_cert_sign=True, crl_sign=True))
    signer = certificate(name(f"Vocalis ({host})"), ca_name, signer_key, ca_key, _LOCAL_SIGNER_YEARS,
                         x509.BasicConstraints(ca=False, path_length=None), usage(digital_signature=True),
                         x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]),
                         x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()))
    return pem(ca), pem(ca_key), pem(signer) + pem(ca), pem(signer_key)

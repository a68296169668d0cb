"""Who signs Vocalis's C2PA manifests and whom `vocalis verify` trusts (see vocalis.trust.provenance for the
settings): c2pa Signer and Context objects built from the organisation's PEM files or from a local CA made on first
use, once per process."""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from vocalis.errors import VocalisError
from vocalis.home import data_home

if TYPE_CHECKING:
    import c2pa

# c2pa accepts only emailProtection unless told otherwise; organisations' certificates commonly carry one of the other
# two (documentSigning, C2PA claim signing). Used both when signing (c2pa verifies after signing) and when reading.
_SIGNER_EKUS = "1.3.6.1.5.5.7.3.4\n1.3.6.1.5.5.7.3.36\n1.3.6.1.4.1.62558.2.1\n"


def load_c2pa() -> ModuleType:
    """c2pa loads a native library (a quarter of a second): only when a file is signed or read."""
    import c2pa

    return c2pa


# Signers and contexts are built once per process (a forked child builds its own: c2pa refuses a parent's handles).
_lock = threading.Lock()
_signers: dict[tuple, tuple[c2pa.Signer, c2pa.Context]] = {}
_verify_contexts: dict[tuple, c2pa.Context] = {}


def c2pa_signer() -> tuple[c2pa.Signer, c2pa.Context]:
    """The Signer of VOCALIS_C2PA_CERT and VOCALIS_C2PA_KEY, else of the local CA, and the Context to sign in."""
    cert, key = os.environ.get("VOCALIS_C2PA_CERT"), os.environ.get("VOCALIS_C2PA_KEY")
    if bool(cert) != bool(key):
        raise VocalisError("set both VOCALIS_C2PA_CERT and VOCALIS_C2PA_KEY (the signer's certificate chain and its "
                           "private key), or neither to sign with the local CA")
    cache_key = (os.getpid(), cert, key) if cert and key else (os.getpid(), str(_local_dir()))
    with _lock:
        if cache_key not in _signers:
            chain, key_pem, alg = _organisation_identity(Path(cert), Path(key)) if cert and key else _local_identity()
            c2pa = load_c2pa()
            try:
                signer = c2pa.Signer.from_info(c2pa.C2paSignerInfo(alg, chain, key_pem, None))
            except c2pa.C2paError as e:
                raise VocalisError(f"cannot sign with {cert or _local_dir()}: {e}") from None
            context = c2pa.Context(c2pa.Settings.from_dict({"trust": {"trust_config": _SIGNER_EKUS}}))
            _signers[cache_key] = (signer, context)
        return _signers[cache_key]


def verify_context() -> c2pa.Context:
    """The Context that validates manifests against VOCALIS_C2PA_TRUST, else against the local CA."""
    trust = os.environ.get("VOCALIS_C2PA_TRUST")
    cache_key = (os.getpid(), trust or str(_local_dir()))
    with _lock:
        if cache_key not in _verify_contexts:
            anchors = _certificates(Path(trust), "VOCALIS_C2PA_TRUST") if trust else _local_ca()
            c2pa = load_c2pa()
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
_LOCAL_CA_YEARS, _LOCAL_SIGNER_YEARS = 30, 25


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

"""A creator's Ed25519 signing key, made on first use in the data home (0600), and the checks of signatures
made with any creator's public key (a package carries its creator's)."""

from __future__ import annotations

import base64
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from vocalis.errors import PackageError
from vocalis.home import data_home, private_file


def key_path(account: str | None = None) -> Path:
    """The key of this machine's user (`account` None), or of an API key's account on a server."""
    folder = data_home() / "market" / "keys"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder / f"{'key-' + account if account else 'local'}.ed25519.pem"


def creator_key(account: str | None = None) -> Ed25519PrivateKey:
    """A creator's signing key (made on first use): this machine's user's, or an API key's on a server."""
    path = key_path(account)
    if not path.is_file() or not path.stat().st_size:
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
        private_file(path).write_bytes(pem)
        return key
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise PackageError(f"{path} holds no Ed25519 key")
    return key


def public_text(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    """The raw 32-byte public key in base64: how packages and accounts name a creator."""
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return base64.b64encode(public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)).decode()


def sign(key: Ed25519PrivateKey, message: bytes) -> str:
    return base64.b64encode(key.sign(message)).decode()


def signed_by(public: str, message: bytes, signature: str) -> bool:
    """Whether `signature` (base64) over `message` was made by the key `public` (base64, as public_text)."""
    try:
        Ed25519PublicKey.from_public_bytes(base64.b64decode(public, validate=True)).verify(
            base64.b64decode(signature, validate=True), message)
    except (InvalidSignature, ValueError):
        return False
    return True

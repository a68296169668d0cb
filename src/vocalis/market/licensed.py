"""A buyer's copy of a package for offline use: the creator's package unchanged, plus `licence.json` (the
package's CID and manifest hash, the licence, the buyer's account) and `licence.sig`, the platform's Ed25519
signature over it. Whoever reads the copy can check who licensed it to whom, on what terms, until when; any
change to the licence, or to the package under it, breaks a hash or a signature."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from vocalis.errors import PackageTampered
from vocalis.market.keys import public_text, sign, signed_by
from vocalis.market.package import MANIFEST, canonical_json, zip_entry

GRANT, GRANT_SIGNATURE = "licence.json", "licence.sig"


@dataclass(frozen=True)
class LicenceGrant:
    package_cid: str  # the creator's package this copy was made from
    licence_id: str
    kind: str
    buyer: str
    expires_at: str | None
    terms: dict
    issued_at: str
    platform: str  # the platform's public key, base64


def license_copy(package: bytes, package_cid: str, licence: dict, buyer: str, key: Ed25519PrivateKey) -> bytes:
    """`package` with the licence `licence` (id, kind, terms, expires_at) granted to `buyer`, signed by `key`."""
    with zipfile.ZipFile(io.BytesIO(package)) as z:
        entries = [(info, z.read(info)) for info in z.infolist()]
        manifest = z.read(MANIFEST)
    grant = {"package_cid": package_cid, "manifest_sha256": hashlib.sha256(manifest).hexdigest(),
             "licence_id": licence["id"], "kind": licence["kind"], "terms": licence["terms"],
             "expires_at": licence.get("expires_at"), "buyer": buyer, "platform": public_text(key),
             "issued_at": datetime.now(UTC).isoformat(timespec="seconds")}
    grant_bytes = canonical_json(grant)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:
        for info, data in entries:
            z.writestr(info, data)
        for name, data in ((GRANT, grant_bytes), (GRANT_SIGNATURE, sign(key, grant_bytes).encode())):
            z.writestr(zip_entry(name), data)
    return out.getvalue()


def read_grant(entries: dict[str, bytes]) -> LicenceGrant | None:
    """The licence a buyer's copy carries, checked (None for a creator's package)."""
    if GRANT not in entries and GRANT_SIGNATURE not in entries:
        return None
    try:
        grant = json.loads(entries[GRANT])
        signature = entries[GRANT_SIGNATURE].decode()
    except (KeyError, UnicodeDecodeError, json.JSONDecodeError):
        raise PackageTampered("the package's licence is incomplete or not JSON") from None
    if not signed_by(grant.get("platform", ""), entries[GRANT], signature):
        raise PackageTampered("the licence's signature does not hold: it was changed after the platform signed it")
    if grant.get("manifest_sha256") != hashlib.sha256(entries[MANIFEST]).hexdigest():
        raise PackageTampered("the licence was issued for another package")
    return LicenceGrant(package_cid=grant["package_cid"], licence_id=grant["licence_id"], kind=grant["kind"],
                        buyer=grant["buyer"], expires_at=grant.get("expires_at"), terms=grant["terms"],
                        issued_at=grant["issued_at"], platform=grant["platform"])

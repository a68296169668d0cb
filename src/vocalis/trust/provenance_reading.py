"""Reading a C2PA manifest back and judging it: c2pa's validation against the trust anchors, plus the two damages
c2pa itself misses (a manifest store broken beyond finding, and changed signature padding)."""

from __future__ import annotations

import json
import re
from typing import IO

from vocalis.trust.provenance_manifest import ASSERTION, Credentials, ManifestReport, State
from vocalis.trust.provenance_signer import load_c2pa, verify_context

# The JUMBF description-box UUID of a C2PA manifest store: present in a file whose manifest was damaged so badly that
# c2pa no longer finds it, which must read as "invalid", not "absent".
_STORE_UUID = b"c2pa\x00\x11\x00\x10\x80\x00\x00\xaa\x00\x38\x9b\x71"
_UNTRUSTED = "signingCredential.untrusted"
PADDING_ALTERED = "signature.padding.altered"  # ours, not c2pa's: see _padding_altered
_PAD_KEY = re.compile(rb"\x63pad|\x64pad2")  # the CBOR text keys "pad" and "pad2"


def read_manifest(stream: IO[bytes], mime: str) -> ManifestReport:
    """The manifest in `stream` (audio of type `mime`) validated against the trust anchors."""
    c2pa = load_c2pa()
    try:
        reader = c2pa.Reader(mime, stream, context=verify_context())
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
                       str(data.get("created", "")), data.get("audit_seq"),
                       data["lines"] if isinstance(data.get("lines"), list) else None)


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

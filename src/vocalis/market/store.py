"""Where packages are kept, by CID: a local content-addressed folder by default, or a real IPFS node through
kubo's HTTP RPC (`VOCALIS_IPFS_API`, e.g. http://127.0.0.1:5001). Whatever comes back is hashed again: bytes
that do not match the CID asked for are refused, whoever served them."""

from __future__ import annotations

import json
import os
import re
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Protocol

from vocalis.errors import PackageError, PackageTampered
from vocalis.home import data_home
from vocalis.market.cid import cid_of_bytes

CID_TEXT = re.compile(r"^b[a-z2-7]{20,120}$")  # CIDv1, base32


class PackageStore(Protocol):
    def put(self, data: bytes) -> str: ...

    def get(self, cid: str) -> bytes: ...


class LocalStore:
    """One file per package, named by its CID, under the data home's `market/packages`."""

    def __init__(self, root: Path | None = None):
        self.root = root or data_home() / "market" / "packages"
        self.root.mkdir(parents=True, exist_ok=True)

    def put(self, data: bytes) -> str:
        cid = cid_of_bytes(data)
        path = self.root / f"{cid}.vvp"
        if not path.is_file():
            tmp = path.with_name(f".{uuid.uuid4().hex}.tmp")
            tmp.write_bytes(data)
            tmp.replace(path)
        return cid

    def get(self, cid: str) -> bytes:
        path = self.root / f"{_checked(cid)}.vvp"
        if not path.is_file():
            raise PackageError(f"no package {cid} in {self.root}")
        return _verified(cid, path.read_bytes())


class KuboStore:
    """A kubo (go-ipfs) node's RPC API: `add` with CIDv1 and raw leaves (the CIDs `cid_of_bytes` computes),
    `cat` to read back."""

    def __init__(self, api: str, timeout: float = 60):
        self.api, self.timeout = api.rstrip("/"), timeout

    def put(self, data: bytes) -> str:
        boundary = uuid.uuid4().hex
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"voice.vvp\"\r\n"
                "Content-Type: application/octet-stream\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
        answer = json.loads(self._call("add?cid-version=1&raw-leaves=true&pin=true", body,
                                       f"multipart/form-data; boundary={boundary}"))
        cid = cid_of_bytes(data)
        if answer.get("Hash") != cid:
            raise PackageError(f"the IPFS node stored the package as {answer.get('Hash')}, expected {cid}")
        return cid

    def get(self, cid: str) -> bytes:
        return _verified(cid, self._call(f"cat?arg={_checked(cid)}", b"", "application/octet-stream"))

    def _call(self, path: str, body: bytes, content_type: str) -> bytes:
        request = urllib.request.Request(f"{self.api}/api/v0/{path}", data=body, method="POST",
                                         headers={"Content-Type": content_type})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return response.read()
        except (urllib.error.URLError, OSError) as e:
            raise PackageError(f"the IPFS node at {self.api} did not answer: {e}") from None


def package_store() -> PackageStore:
    """The configured store: a kubo node where $VOCALIS_IPFS_API names one, else the local folder."""
    api = os.environ.get("VOCALIS_IPFS_API")
    return KuboStore(api) if api else LocalStore()


def _checked(cid: str) -> str:
    if not CID_TEXT.match(cid):
        raise PackageError(f"{cid!r} is not a package CID (CIDv1 in base32, 'bafy…' or 'bafk…')")
    return cid


def _verified(cid: str, data: bytes) -> bytes:
    if cid_of_bytes(data) != cid:
        raise PackageTampered(f"the bytes stored under {cid} hash to another CID: refused")
    return data

"""The IPFS CIDv1 of a file's bytes, exactly as `ipfs add --cid-version 1` (kubo) or the UnixFS importer of
js-ipfs/helia compute it with their defaults: 256 KiB chunks as raw leaves, a balanced DAG of dag-pb nodes
with at most 174 links each, sha2-256 throughout. A file of one chunk is its raw leaf.

A package's identity is this CID, so a copy fetched from any IPFS node can be checked against its name."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

CHUNK = 262_144
MAX_LINKS = 174
_RAW, _DAG_PB, _SHA2_256 = 0x55, 0x70, 0x12
_UNIXFS_FILE = 2


@dataclass(frozen=True)
class _Node:
    cid: bytes  # binary CID
    file_size: int  # bytes of the file below this node
    tree_size: int  # bytes of every block below and including this node (a link's Tsize)


def cid_of_bytes(data: bytes) -> str:
    return _root(_leaves(data[i:i + CHUNK] for i in range(0, max(len(data), 1), CHUNK)))


def cid_of_file(path: str | Path) -> str:
    """The CID of a file, read a chunk at a time."""
    with open(path, "rb") as f:
        return _root(_leaves(_chunks(f)))


def cid_text(cid: bytes) -> str:
    """A binary CID in its usual text form: multibase base32, lower case ('b...')."""
    return "b" + base64.b32encode(cid).decode().lower().rstrip("=")


def _chunks(f: BinaryIO) -> Iterator[bytes]:
    chunk = f.read(CHUNK)
    yield chunk  # an empty file is one empty chunk
    while chunk := f.read(CHUNK):
        yield chunk


def _cid(codec: int, block: bytes) -> bytes:
    return bytes([1, codec, _SHA2_256, 32]) + hashlib.sha256(block).digest()


def _leaves(chunks: Iterable[bytes]) -> Iterator[_Node]:
    for chunk in chunks:
        yield _Node(_cid(_RAW, chunk), len(chunk), len(chunk))


def _root(leaves: Iterator[_Node]) -> str:
    level = list(leaves)
    if len(level) == 1:
        return cid_text(level[0].cid)
    while len(level) > 1:  # balanced: parents of up to 174 children, level by level
        level = [_parent(level[i:i + MAX_LINKS]) for i in range(0, len(level), MAX_LINKS)]
    return cid_text(level[0].cid)


def _parent(children: list[_Node]) -> _Node:
    linked = [c for c in children if c.file_size > 0]
    size = sum(c.file_size for c in linked)
    unixfs = _field(1, _varint(_UNIXFS_FILE)) + _field(3, _varint(size))
    unixfs += b"".join(_field(4, _varint(c.file_size)) for c in linked)
    links = b"".join(_bytes_field(2, _bytes_field(1, c.cid) + _bytes_field(2, b"") + _field(3, _varint(c.tree_size)))
                     for c in linked)
    block = links + _bytes_field(1, unixfs)  # dag-pb's canonical order: links, then data
    return _Node(_cid(_DAG_PB, block), size, len(block) + sum(c.tree_size for c in linked))


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _field(number: int, varint: bytes) -> bytes:
    return bytes([number << 3]) + varint


def _bytes_field(number: int, value: bytes) -> bytes:
    return bytes([number << 3 | 2]) + _varint(len(value)) + value

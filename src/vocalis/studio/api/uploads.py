"""Uploaded files, bounded in size and kept only in a temporary folder for the request that sent them."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi import UploadFile

from vocalis.studio.api.errors import ApiError


def saved_upload(upload: UploadFile, limit: int, path: Path, param: str, too_big: str) -> Path:
    """The upload written to `path` (in a temporary folder); 413 with `too_big` when it is over `limit` bytes."""
    data = upload.file.read(limit + 1)
    if len(data) > limit:
        raise ApiError(413, too_big, param=param)
    path.write_bytes(data)
    return path


def upload_path(folder: str | Path, k: int, upload: UploadFile) -> Path:
    """Where the k-th upload goes in the request's temporary folder: under its own name (in a folder of its own,
    so that two uploads may share a name), which is what an error about it shows (see errors.py)."""
    name = re.sub(r"[^\w.\- ]", "_", Path(upload.filename or "").name).strip(". ") or f"upload{suffix_of(upload)}"
    (Path(folder) / str(k)).mkdir()
    return Path(folder) / str(k) / name


def suffix_of(upload: UploadFile) -> str:
    """The upload's extension, which tells the decoder its format."""
    return Path(upload.filename or "").suffix.lower()

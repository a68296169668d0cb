"""One request rendered in parts by several engines (a cluster's renderer replicas) and stitched into the very
output one engine makes: the text front end runs once, where the request is taken; its lines are cut into
contiguous parts; each part is rendered and watermarked where it lands (a chunk's audio depends on its line, the
voice and the settings, and its marks on the chunk and the request's mark id, never on the chunks before it);
the parts are joined in order, re-timed from the start, and recorded in the audit log once."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace

from vocalis.engine import Chunk, Line


@dataclass(frozen=True)
class Part:
    """Contiguous lines of a request's text."""

    lines: list[Line]
    ends: bool  # holds the text's last line (which has no pause after it)


def split(lines: list[Line], count: int) -> list[Part]:
    """`lines` cut into at most `count` contiguous parts of about as many phonemes each, none empty."""
    total = sum(len(line.ids) for line in lines)
    parts: list[list[Line]] = [[]]
    done = 0
    for line in lines:
        # A new part once this one holds its share (and enough lines are left to fill the parts still to come).
        if parts[-1] and len(parts) < count and done >= total * len(parts) / count:
            parts.append([])
        parts[-1].append(line)
        done += len(line.ids)
    return [Part(part, ends=k == len(parts) - 1) for k, part in enumerate(parts)]


def joined(parts: Iterable[list[Chunk]]) -> Iterator[Chunk]:
    """The parts' chunks in order, each starting where the one before it ended."""
    samples = 0
    for chunks in parts:
        for chunk in chunks:
            yield replace(chunk, start=samples / chunk.audio.sample_rate)
            samples += len(chunk.audio.samples)

"""Memory of long-running processes (servers, replicas).

glibc gives each thread that allocates a malloc arena of its own, up to eight per core, and memory freed in one
arena is not reused by the others. A server's request threads each touch audio buffers, so its RSS crept up
under load and stayed there: `bench/load.py` (30 clients, 60 s, 2 cores) peaked at 1.58 GB with glibc's default
and 1.33 GB with two arenas, at the same throughput."""

from __future__ import annotations

import ctypes
import ctypes.util

M_ARENA_MAX = -8  # mallopt's parameter number (malloc.h)
ARENAS = 2


def limit_malloc_arenas(arenas: int = ARENAS) -> bool:
    """Cap glibc's malloc arenas for the threads this process starts from now on (as MALLOC_ARENA_MAX does at
    start-up); False where the C library is not glibc."""
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
        return bool(libc.mallopt(M_ARENA_MAX, arenas))
    except (OSError, AttributeError, TypeError):  # no C library found, or one without mallopt
        return False

"""The server's chain mirror in the background: every few seconds, whatever the ledger has queued for the chain
is sent (see `market.mirror`), so that a chain that was down catches up by itself. A failed round is logged and
tried again next time; nothing is lost meanwhile."""

from __future__ import annotations

import logging
import threading

log = logging.getLogger("vocalis.market")


class ChainSync:
    def __init__(self, every_s: float):
        self.every_s = every_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="vocalis-chain-sync", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _run(self) -> None:
        from vocalis.market.mirror import pending_items, sync

        while not self._stop.wait(self.every_s):
            try:
                if pending_items():
                    report = sync()
                    for error in report.errors:
                        log.warning("chain mirror: %s (tried again in %.0f s)", error, self.every_s)
            except Exception:  # a chain or a database that is down: the next round tries again
                log.exception("chain mirror round failed")

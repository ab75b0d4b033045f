"""The lease keeper: a thread that renews one lease while its holder works, and says so at
once when the lease was lost (another worker took the work over)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

logger = logging.getLogger(__name__)


class LeaseKeeper:
    """Calls ``renew`` every ``every`` seconds until stopped; sets :attr:`lost` (and calls
    ``on_lost``) the first time ``renew`` answers False.

    A renewal that raises (the database briefly busy) is retried at the next beat: the lease
    is long enough to miss a few, and a holder that misses them all loses it, as it should."""

    def __init__(
        self,
        renew: Callable[[], bool],
        every: float,
        *,
        name: str = "lease",
        on_lost: Callable[[], None] | None = None,
    ) -> None:
        self._renew = renew
        self._every = every
        self._on_lost = on_lost
        self._stop = threading.Event()
        self.lost = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"{name}-lease", daemon=True)

    def start(self) -> LeaseKeeper:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join()

    def _beat(self) -> None:
        while not self._stop.wait(self._every):
            try:
                held = self._renew()
            except Exception:
                logger.warning("Could not renew a lease; trying again", exc_info=True)
                continue
            if not held:
                self.lost.set()
                if self._on_lost is not None:
                    self._on_lost()
                return


@contextmanager
def holding(
    renew: Callable[[], bool],
    release: Callable[[], None],
    every: float,
    *,
    name: str,
    lost: threading.Event,
) -> Iterator[LeaseKeeper]:
    """Hold a lease for the body: renewed every ``every`` seconds (``lost`` is set if another
    holder took it), released when the body ends however it ends, so work a live process
    stopped is free at once instead of after its lease lapses."""
    keeper = LeaseKeeper(renew, every, name=name, on_lost=lost.set).start()
    try:
        yield keeper
    finally:
        keeper.stop()
        if keeper.lost.is_set():
            logger.warning("%s was taken over by another process; it stopped", name)
        try:
            release()
        except Exception:
            logger.warning("Could not release the lease of %s", name, exc_info=True)

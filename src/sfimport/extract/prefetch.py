"""Bulk result pages read a little ahead: a background thread downloads (and gunzips) the body
while the run parses and stages what arrived, and asks for the next page as soon as a body ends.

Only a few chunks wait in between (a bounded queue), so memory stays flat whatever the page size.
Pages are still handed on in order and one at a time, so a page is recorded in the checkpoint
only once the run has staged all of it, exactly as without the read-ahead.
"""

from __future__ import annotations

import contextvars
import queue
import threading
from collections.abc import Generator, Iterator
from contextlib import closing
from dataclasses import dataclass

from sfimport.salesforce.bulk2 import StreamedPage

#: Chunks (of up to 1 MiB) read ahead of the parser.
DEPTH = 8
#: How often a blocked read-ahead looks whether the reader stopped listening.
_POLL_SECONDS = 0.1


@dataclass(frozen=True)
class _Start:
    number_of_records: int | None
    next_locator: str | None


@dataclass(frozen=True)
class _Failed:
    error: BaseException


_END_OF_PAGE = object()
_END_OF_PAGES = object()


def read_ahead(
    pages: Generator[StreamedPage, None, None], depth: int = DEPTH
) -> Generator[StreamedPage, None, None]:
    """``pages`` as they are, each body read ahead in a background thread.

    Read each page's ``chunks`` to the end before asking for the next page. Closing this
    generator (or leaving it by an exception) stops the thread and closes ``pages``.
    """
    waiting: queue.Queue[object] = queue.Queue(maxsize=max(1, depth))
    stop = threading.Event()

    def put(item: object) -> bool:
        while not stop.is_set():
            try:
                waiting.put(item, timeout=_POLL_SECONDS)
                return True
            except queue.Full:
                continue
        return False

    def download() -> None:
        try:
            with closing(pages):
                for page in pages:
                    if not put(_Start(page.number_of_records, page.next_locator)):
                        return
                    for chunk in page.chunks:
                        if not put(chunk):
                            return
                    if not put(_END_OF_PAGE):
                        return
        except BaseException as error:  # handed to the reader, raised there
            put(_Failed(error))
            return
        put(_END_OF_PAGES)

    # The thread carries the caller's context: its records go to the run's log too.
    thread = threading.Thread(
        target=contextvars.copy_context().run, args=(download,), name="bulk-read-ahead", daemon=True
    )
    thread.start()
    try:
        while True:
            item = waiting.get()
            if isinstance(item, _Failed):
                raise item.error
            if item is _END_OF_PAGES:
                return
            assert isinstance(item, _Start)
            yield StreamedPage(
                chunks=_body(waiting),
                number_of_records=item.number_of_records,
                next_locator=item.next_locator,
            )
    finally:
        stop.set()
        thread.join()


def _body(waiting: queue.Queue[object]) -> Iterator[bytes]:
    while True:
        item = waiting.get()
        if item is _END_OF_PAGE:
            return
        if isinstance(item, _Failed):
            raise item.error
        assert isinstance(item, bytes)
        yield item

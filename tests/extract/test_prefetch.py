"""Bulk result pages read ahead in a background thread: same pages and bytes in the same order,
the next page asked for while the current one is still being staged, failures raised to the
reader, and nothing left running when the reader stops early."""

from __future__ import annotations

import threading
from collections.abc import Generator, Iterator

import pytest

from sfimport.errors import TransientError
from sfimport.extract.prefetch import read_ahead
from sfimport.salesforce.bulk2 import StreamedPage


class Source:
    """Result pages as the Bulk client streams them, recording what was asked for."""

    def __init__(self, pages: list[list[bytes]], fail_after: int | None = None) -> None:
        self.pages = pages
        self.fail_after = fail_after
        self.requested = [threading.Event() for _ in pages]
        self.closed = threading.Event()

    def stream(self) -> Generator[StreamedPage, None, None]:
        try:
            for number, chunks in enumerate(self.pages):
                self.requested[number].set()
                last = number == len(self.pages) - 1
                yield StreamedPage(
                    chunks=self._body(chunks),
                    number_of_records=len(chunks),
                    next_locator=None if last else f"L{number + 1}",
                )
        finally:
            self.closed.set()

    def _body(self, chunks: list[bytes]) -> Iterator[bytes]:
        for index, chunk in enumerate(chunks):
            if self.fail_after is not None and index == self.fail_after:
                raise TransientError("The connection to Salesforce failed while reading.")
            yield chunk


def readers_alive() -> int:
    return sum(t.name == "bulk-read-ahead" for t in threading.enumerate())


def test_pages_arrive_whole_and_in_order() -> None:
    pages = [[b"a" * 10, b"b" * 10], [b"c"], [b"d", b"e", b"f"]]
    got = [
        (page.next_locator, page.number_of_records, b"".join(page.chunks))
        for page in read_ahead(Source(pages).stream(), depth=2)
    ]
    assert got == [
        ("L1", 2, b"a" * 10 + b"b" * 10),
        ("L2", 1, b"c"),
        (None, 3, b"def"),
    ]
    assert readers_alive() == 0


def test_the_next_page_is_asked_for_while_the_current_one_is_still_being_staged() -> None:
    source = Source([[b"1"] * 3, [b"2"] * 3])
    pages = read_ahead(source.stream())
    first = next(pages)
    assert b"".join(first.chunks) == b"111"
    # Still holding page 1 (staging, checkpointing): page 2 is already on its way.
    assert source.requested[1].wait(5)
    assert b"".join(next(pages).chunks) == b"222"
    assert next(pages, None) is None


def test_a_body_cut_part_way_raises_in_the_reader_and_the_thread_ends() -> None:
    source = Source([[b"x", b"y", b"z"]], fail_after=1)
    pages = read_ahead(source.stream())
    page = next(pages)
    with pytest.raises(TransientError):
        b"".join(page.chunks)
    pages.close()
    assert source.closed.is_set()
    assert readers_alive() == 0


def test_a_reader_that_stops_early_stops_the_download_and_closes_the_source() -> None:
    source = Source([[b"x"] * 50 for _ in range(20)])
    pages = read_ahead(source.stream(), depth=2)
    page = next(pages)
    next(page.chunks)
    pages.close()
    assert source.closed.wait(5)
    assert readers_alive() == 0
    assert not source.requested[-1].is_set()

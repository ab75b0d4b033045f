"""The values the pipes service hands the web app, the API and the CLI."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sfimport.store.pipes import PipeError, PipeRun, PipeRunStatus, PipeVersion

__all__ = [
    "Lineage",
    "PipeColumn",
    "PipeDetail",
    "PipeError",
    "PipeInfo",
    "PipePreview",
    "PipeRun",
    "PipeRunStatus",
    "PipeVersion",
]


@dataclass(frozen=True)
class PipeColumn:
    """An output column: its type, and whether it is concealed (made from a concealed column)."""

    name: str
    type: str
    concealed: bool = False
    note: str = ""


@dataclass(frozen=True)
class PipeInfo:
    qualified: str
    folder: str
    name: str
    version: int
    #: "sql" or "steps".
    mode: str
    description: str
    sources: tuple[str, ...]
    every: str
    updated_at: datetime
    last_run: PipeRun | None
    #: Rows of the last good output; None before the first one.
    row_count: int | None


@dataclass(frozen=True)
class Lineage:
    """Where a data set comes from and what is made from it: source -> pipes -> pipes."""

    dataset: str
    #: Everything it is made from, nearest first.
    upstream: tuple[str, ...]
    #: Every pipe made from it, in rebuild order.
    downstream: tuple[str, ...]
    #: (reader, source) pairs among all of these, to draw the graph.
    edges: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class PipeDetail:
    info: PipeInfo
    definition: str
    sql: str
    steps: tuple[str, ...]
    columns: tuple[PipeColumn, ...]
    versions: tuple[PipeVersion, ...]
    runs: tuple[PipeRun, ...]
    lineage: Lineage


@dataclass(frozen=True)
class PipePreview:
    """A definition checked and compiled, with its first rows: what the editor shows."""

    qualified: str
    sql: str
    steps: tuple[str, ...]
    sources: tuple[str, ...]
    columns: tuple[PipeColumn, ...]
    rows: list[tuple[Any, ...]]

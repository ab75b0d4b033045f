"""Each run's own log: which run a thread works for, and a capped, private file per run in the
data folder where every record logged while working for it is kept (tokens redacted)."""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from pathlib import Path

from sfimport.salesforce.redaction import redacting_handler

#: The run's own lines (start, pages, data sets, end). They go to the run's file only: the
#: console keeps its own verbosity, and a run's pages would flood it.
RUN_LOGGER = "sfimport.run"
#: A run's file stays below this size: past it, its oldest lines are dropped (with a marker),
#: so a run that resumes for days cannot fill the disk.
MAX_LOG_BYTES = 1_000_000
DROPPED = "[older lines dropped: a run's log keeps its newest lines, up to about 1 MB]\n"

# Which run's file the current thread writes to. A context variable, set where a run starts or
# resumes and in each thread the run starts; threads of other work never carry it.
_CURRENT: ContextVar[Path | None] = ContextVar("sfimport_run_log", default=None)
_SAFE_RUN_ID = re.compile(r"[0-9A-Za-z_-]{1,80}")
_write_lock = threading.Lock()
_install_lock = threading.Lock()


def log_file(log_dir: Path, run_id: str) -> Path | None:
    """Where run ``run_id``'s log lives (None for an id that is no run id: no path tricks)."""
    if not _SAFE_RUN_ID.fullmatch(run_id):
        return None
    return log_dir / f"{run_id}.log"


def read_log(log_dir: Path, run_id: str) -> str:
    """Run ``run_id``'s log, oldest line first ("" when it logged nothing)."""
    path = log_file(log_dir, run_id)
    if path is None:
        return ""
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return ""


def current() -> Path | None:
    """The log file of the run this thread works for, if any."""
    return _CURRENT.get()


def enter(path: Path | None) -> None:
    """Make the current thread (a thread a run started) write to ``path``."""
    _CURRENT.set(path)


@contextmanager
def logging_to(path: Path | None) -> Iterator[None]:
    """Records logged in this block (from any logger) also go to ``path``."""
    if path is None:
        yield
        return
    install()
    token = _CURRENT.set(path)
    try:
        yield
    finally:
        _CURRENT.reset(token)


def append_capped(path: Path, text: str, limit: int | None = None) -> None:
    """Append ``text`` to ``path`` (created private, 0600); when the file would pass ``limit``,
    keep its newest half behind a marker line."""
    data = text.encode("utf-8")
    limit = MAX_LOG_BYTES if limit is None else limit
    with _write_lock:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            size = 0
        if size + len(data) > limit:
            old = path.read_bytes() if size else b""
            keep = max(0, limit // 2 - len(data))
            tail = old[len(old) - keep :] if keep else b""
            cut = tail.find(b"\n")
            tail = tail[cut + 1 :] if cut >= 0 else b""
            fresh = (DROPPED.encode() + tail + data)[-limit:]
            temporary = path.with_suffix(".log.tmp")
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.fchmod(fd, 0o600)  # whatever the umask or an older file's mode
            with os.fdopen(fd, "wb") as out:
                out.write(fresh)
            os.replace(temporary, path)
            return
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        if not size:
            os.fchmod(fd, 0o600)  # a new file is private whatever the process's umask
        with os.fdopen(fd, "ab") as out:
            out.write(data)


class _UtcFormatter(logging.Formatter):
    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return datetime.fromtimestamp(record.created, UTC).strftime("%Y-%m-%d %H:%M:%S")


class RunLogHandler(logging.Handler):
    """Writes each record made while a thread works for a run to that run's file."""

    def emit(self, record: logging.LogRecord) -> None:
        path = _CURRENT.get()
        if path is None:
            return
        try:
            append_capped(path, self.format(record) + "\n")
        except OSError:
            self.handleError(record)


_HANDLER: RunLogHandler | None = None


def install() -> None:
    """Install the run-log handler once per process (idempotent), redacting like every other
    handler: on the root logger (any library's records on a run's threads) and on the run's own
    logger, which does not propagate."""
    global _HANDLER
    with _install_lock:
        if _HANDLER is not None:
            return
        handler = RunLogHandler()
        handler.setFormatter(_UtcFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        redacting_handler(handler)
        run_logger = logging.getLogger(RUN_LOGGER)
        run_logger.setLevel(logging.INFO)
        run_logger.propagate = False
        run_logger.addHandler(handler)
        logging.getLogger().addHandler(handler)
        _HANDLER = handler

"""Pipes: save (checked), preview, list, run, delete, and rebuild downstream after a publish."""

from __future__ import annotations

import contextlib
import threading
from typing import Any

from sfimport.app.pipe_checks import PipeChecks
from sfimport.app.pipe_samples import install_samples
from sfimport.app.pipe_values import Lineage, PipeColumn, PipeDetail, PipeInfo, PipePreview
from sfimport.errors import NotFound, PipeFailed, PipeInvalid, SfimportError, UsageError
from sfimport.extract.schedule import next_run
from sfimport.extract.spec import ImportSpec
from sfimport.pipes import graph
from sfimport.pipes.definition import PipeDefinition
from sfimport.pipes.producer import StepFailure
from sfimport.salesforce.redaction import redacting_logger
from sfimport.settings import Settings
from sfimport.store.history import HISTORY_SUFFIX
from sfimport.store.mydata import Dataset, Publication, Published
from sfimport.store.pipes import PipeBook, PipeError, PipeRun, StoredPipe

logger = redacting_logger(__name__)

#: Rows a preview shows.
PREVIEW_ROWS = 20
#: A rebuild may run this many times longer than an interactive query before it is stopped.
_BUILD_TIMEOUT_FACTOR = 20


class PipesService(PipeChecks):
    """Pipes over My Data, kept fresh: each publish rebuilds what lies downstream of it."""

    def __init__(self, settings: Settings, **options: Any) -> None:
        super().__init__(settings, **options)
        self._pipes = PipeBook(self._ledger.engine)
        # One rebuild at a time in a process: DuckDB writers of one process must take turns,
        # and a pipe read by two changed sources must not be built twice at once.
        self._pipe_lock = threading.RLock()
        self._samples = False
        self._mydata.subscribe(self._on_published)

    def enable_sample_pipes(self) -> list[str]:
        """The demo's sample pipes: made now if the data sets they read are imported, else
        as soon as an import publishes them. Returns the pipes made now."""
        self._samples = True
        return self._install_samples()

    def _apply_spec_pipes(self, run_id: str) -> None:
        """Make or update the pipes the run's import spec declares ([[pipes]]) once what they
        read is in My Data; one that cannot be made yet waits for a later publish."""
        try:
            text = self._ledger.spec_toml(run_id)
        except NotFound:
            return
        if "[[pipes]]" not in text:
            return
        with self._pipe_lock:  # the run's data sets publish from several threads at once
            for definition_text in ImportSpec.from_toml(text).pipes:
                self._apply_spec_pipe(definition_text)

    def _apply_spec_pipe(self, definition_text: str) -> None:
        definition = PipeDefinition.from_toml(definition_text)
        current = self._pipes.find(definition.qualified)
        try:
            if current is None:
                self.create_pipe(definition_text)
            elif current.definition != definition.to_toml():
                self.edit_pipe(definition.qualified, definition_text)
        except PipeInvalid as invalid:
            logger.info("Pipe %s of the import spec waits: %s", definition.qualified, invalid)

    def _install_samples(self) -> list[str]:
        with self._pipe_lock:
            existing = {p.key for p in self._pipes.all()}
            return install_samples(self._mydata.list_datasets(), existing, self.create_pipe)

    # -- definitions -------------------------------------------------------------------------

    def preview_pipe(self, text: str, limit: int = PREVIEW_ROWS) -> PipePreview:
        """Check a definition (TOML) as saving would, and show its first rows; saves nothing."""
        definition = PipeDefinition.from_toml(text)
        compiled, sources, columns = self._check(definition)
        result = self._mydata.query(
            compiled.sql, limit=limit, timeout=self.settings.query_timeout or None
        )
        rows = [tuple(r.values()) for r in result.table.to_pylist()]
        return PipePreview(
            definition.qualified, compiled.sql, compiled.steps, sources, columns, rows
        )

    def create_pipe(self, text: str) -> PipeRun:
        """Save a new pipe (version 1) and build its output; PipeInvalid if it cannot be."""
        definition = PipeDefinition.from_toml(text)
        with self._pipe_lock:
            if self._pipes.find(definition.qualified) is not None:
                raise PipeInvalid(
                    f"There is a pipe {definition.qualified} already.",
                    remedy=f"Change it with 'sfimport pipe edit {definition.qualified} FILE'.",
                )
            return self._save(definition)

    def edit_pipe(self, name: str, text: str) -> PipeRun:
        """Save a new version of a pipe and rebuild it (and what reads it)."""
        current = self._pipes.get(name)
        definition = PipeDefinition.from_toml(text)
        if definition.qualified.lower() != current.key:
            raise PipeInvalid(
                f"The file defines {definition.qualified}, not {current.qualified}.",
                remedy="Keep the pipe's name and folder; create a new pipe to rename it.",
            )
        return self._save(definition)

    def delete_pipe(self, name: str) -> None:
        """Delete a pipe and its output; refused while other pipes read it."""
        pipe = self._pipes.get(name)
        readers = [p.qualified for p in self._pipes.all() if pipe.key in p.sources]
        if readers:
            raise UsageError(
                f"Pipes read {pipe.qualified}: {', '.join(readers)}.",
                remedy="Delete or edit those pipes first.",
            )
        self._pipes.delete(pipe.id)
        with contextlib.suppress(NotFound):  # never built
            self._mydata.delete_dataset(pipe.folder, pipe.name)

    # -- reading -----------------------------------------------------------------------------

    def list_pipes(self) -> list[PipeInfo]:
        outputs = {f"{d.folder}.{d.name}".lower(): d for d in self._mydata.list_datasets()}
        return [self._pipe_info(p, outputs.get(p.key)) for p in self._pipes.all()]

    def get_pipe(self, name: str) -> PipeDetail:
        pipe = self._pipes.get(name)
        output = self._output(pipe)
        definition = PipeDefinition.from_toml(pipe.definition)
        try:
            compiled = self._compile(definition)
            sql, steps = compiled.sql, compiled.steps
        except StepFailure as failure:
            sql, steps = definition.sql, (failure.step,)
        columns: tuple[PipeColumn, ...] = ()
        if output is not None:
            columns = tuple(
                PipeColumn(c.name, c.type, c.name in output.concealed, c.note)
                for c in output.columns
            )
        return PipeDetail(
            info=self._pipe_info(pipe, output),
            definition=pipe.definition,
            sql=sql,
            steps=steps,
            columns=columns,
            versions=tuple(self._pipes.versions(pipe.id)),
            runs=tuple(self._pipes.runs(pipe.id)),
            lineage=self.lineage(pipe.qualified),
        )

    def pipe_runs(self, name: str | None = None, limit: int = 20) -> list[PipeRun]:
        pipe_id = self._pipes.get(name).id if name else None
        return self._pipes.runs(pipe_id, limit)

    def lineage(self, dataset: str) -> Lineage:
        """Where a data set (imported or a pipe's output) comes from, and what reads it."""
        reads = self._reads()
        names = self._display_names()
        node = graph.key(dataset if "." in dataset else self._qualified(dataset))
        up = graph.upstream(reads, node)
        down = graph.downstream(reads, node)
        involved = {node, *up, *down}
        edges = tuple(
            (names.get(p, p), names.get(s, s))
            for p in sorted(involved)
            for s in sorted(reads.get(p, ()))
            if s in involved
        )
        return Lineage(
            names.get(node, dataset),
            tuple(names.get(n, n) for n in up),
            tuple(names.get(n, n) for n in down),
            edges,
        )

    # -- running -----------------------------------------------------------------------------

    def run_pipe(self, name: str, *, trigger: str = "manual") -> PipeRun:
        """Rebuild a pipe now, then every pipe downstream of it; returns the pipe's own run."""
        pipe = self._pipes.get(name)
        run = self._rebuild(pipe, trigger=trigger, cause="")
        if run.error is None:
            self._rebuild_downstream([pipe.key], trigger=trigger, cause=pipe.qualified)
        return run

    def run_due_pipes(self) -> list[PipeRun]:
        """Rebuild the pipes whose own schedule is due (each by one scheduler only)."""
        now = self._clock()
        runs = []
        for pipe in self._pipes.all():
            if not pipe.every or pipe.next_run_at is None or pipe.next_run_at > now:
                continue
            if self._pipes.fire(pipe.id, pipe.next_run_at, next_run(pipe.every, now)):
                runs.append(self.run_pipe(pipe.qualified, trigger="schedule"))
        return runs

    def _on_published(self, event: Published) -> None:
        if event.kind == "pipe":
            return  # a pipe's own output: its readers are rebuilt in the same pass
        cause = f"{event.folder}.{event.name}" + (f" (run {event.run_id})" if event.run_id else "")
        try:
            if self._samples:
                self._install_samples()
            if event.run_id:
                self._apply_spec_pipes(event.run_id)
            self._rebuild_downstream(
                [f"{event.folder}.{event.name}"], trigger="publish", cause=cause
            )
        except SfimportError as error:
            # The publish itself stands; the pipes keep their last output.
            logger.warning("Pipes downstream of %s were not rebuilt: %s", cause, error.message)

    def _rebuild_downstream(self, changed: list[str], *, trigger: str, cause: str) -> None:
        pipes = {p.key: p for p in self._pipes.all()}
        if not pipes:
            return
        reads = {k: p.sources for k, p in pipes.items()}
        failed: set[str] = set()
        for key in graph.rebuild_order(reads, changed):
            pipe = pipes[key]
            if failed & set(pipe.sources):
                continue  # its source kept its old output: nothing changed for it
            if self._rebuild(pipe, trigger=trigger, cause=cause).error is not None:
                failed.add(key)

    def _rebuild(self, pipe: StoredPipe, *, trigger: str, cause: str) -> PipeRun:
        with self._pipe_lock:
            run_id = self._pipes.start_run(
                pipe, trigger=trigger, cause=cause, started_at=self._clock()
            )
            error: PipeError | None = None
            rows: int | None = None
            try:
                rows = self._build(pipe)
            except StepFailure as failure:
                error = _step_error(pipe, failure)
            except PipeInvalid as invalid:
                error = PipeError(
                    f"Pipe {pipe.qualified} failed: {invalid.message}",
                    invalid.remedy,
                    invalid.step,
                    invalid.column,
                )
            except SfimportError as failure:
                error = PipeError(
                    f"Pipe {pipe.qualified} failed: {failure.message}",
                    PipeFailed.remedy.replace("NAME", pipe.qualified),
                )
            if error is not None:
                logger.warning("%s (%s)", error.message, error.remedy)
            self._pipes.finish_run(run_id, finished_at=self._clock(), rows=rows, error=error)
            return next(r for r in self._pipes.runs(pipe.id, limit=50) if r.id == run_id)

    def _build(self, pipe: StoredPipe) -> int:
        definition = PipeDefinition.from_toml(pipe.definition)
        compiled, _, columns = self._check(definition, saving=False)
        meta = {c.name: {"sf_type": "pipe", "label": c.name, "note": c.note} for c in columns}
        timeout = self.settings.query_timeout * _BUILD_TIMEOUT_FACTOR or None
        dataset = self._mydata.publish_select(
            compiled.sql,
            Publication(
                folder=definition.folder,
                name=definition.name,
                connection="",
                source=pipe.qualified,
                kind="pipe",
                concealed=tuple(c.name for c in columns if c.concealed),
            ),
            column_metadata=meta,
            timeout=timeout,
        )
        return dataset.row_count

    # -- checks ------------------------------------------------------------------------------

    def _save(self, definition: PipeDefinition) -> PipeRun:
        try:
            _, sources, _ = self._check(definition)
        except StepFailure as failure:
            raise PipeInvalid(
                f"{failure.step}: {failure.detail}",
                step=failure.step,
                column=failure.column,
                remedy="Fix that step and save again; nothing was changed.",
            ) from None
        reads = {p.key: p.sources for p in self._pipes.all()}
        reads[definition.qualified.lower()] = tuple(_graph_key(s) for s in sources)
        cycle = graph.find_cycle(reads)
        if cycle:
            raise PipeInvalid(
                "Pipes cannot read each other in a circle: " + " -> ".join(cycle) + ".",
                remedy="Make one of them read an imported data set instead.",
            )
        every = definition.every
        when = next_run(every, self._clock()) if every else None
        pipe = self._pipes.save(
            folder=definition.folder,
            name=definition.name,
            definition=definition.to_toml(),
            sources=list(dict.fromkeys(_graph_key(s) for s in sources)),
            every=every,
            next_run_at=when,
            now=self._clock(),
        )
        run = self._rebuild(pipe, trigger="save", cause=f"version {pipe.version}")
        if run.error is None:
            self._rebuild_downstream([pipe.key], trigger="publish", cause=pipe.qualified)
        return run

    # -- helpers of the views ----------------------------------------------------------------

    def _reads(self) -> dict[str, tuple[str, ...]]:
        return {p.key: p.sources for p in self._pipes.all()}

    def _display_names(self) -> dict[str, str]:
        return {
            f"{d.folder}.{d.name}".lower(): f"{d.folder}.{d.name}"
            for d in self._mydata.list_datasets()
        } | {p.key: p.qualified for p in self._pipes.all()}

    def _qualified(self, name: str) -> str:
        found = self._dataset(name)
        return f"{found.folder}.{found.name}"

    def _output(self, pipe: StoredPipe) -> Dataset | None:
        try:
            return self._mydata.get_dataset(pipe.folder, pipe.name)
        except NotFound:
            return None

    def _pipe_info(self, pipe: StoredPipe, output: Dataset | None) -> PipeInfo:
        definition = PipeDefinition.from_toml(pipe.definition)
        runs = self._pipes.runs(pipe.id, limit=1)
        names = self._display_names()
        return PipeInfo(
            qualified=pipe.qualified,
            folder=pipe.folder,
            name=pipe.name,
            version=pipe.version,
            mode="sql" if definition.is_sql else "steps",
            description=definition.description,
            sources=tuple(names.get(s, s) for s in pipe.sources),
            every=pipe.every,
            updated_at=pipe.updated_at,
            last_run=runs[0] if runs else None,
            row_count=output.row_count if output is not None else None,
        )


def _graph_key(source: str) -> str:
    """A source's node in the graph: a history table changes when its data set publishes."""
    key = source.lower()
    return key[: -len(HISTORY_SUFFIX)] if key.endswith(HISTORY_SUFFIX) else key


def _step_error(pipe: StoredPipe, failure: StepFailure) -> PipeError:
    column = f", column {failure.column}" if failure.column else ""
    return PipeError(
        f"Pipe {pipe.qualified} failed at {failure.step}{column}: {failure.detail}",
        (
            f"The last good output of {pipe.qualified} is kept. "
            + (
                f"If a source no longer has column {failure.column}, add it back to the import or "
                if failure.column
                else ""
            )
            + f"edit the pipe ('sfimport pipe edit {pipe.qualified} FILE')."
        ),
        failure.step,
        failure.column,
    )

"""Pipes' save-time checks: compile a definition, resolve its sources (history tables too),
refuse what is not one read-only SELECT, and carry concealment through to its columns."""

from __future__ import annotations

from dataclasses import replace

from sfimport.app.core import Core
from sfimport.app.pipe_values import PipeColumn
from sfimport.errors import NotFound, PipeInvalid
from sfimport.pipes.analysis import check_read_only, column_lineage
from sfimport.pipes.definition import PipeDefinition
from sfimport.pipes.producer import Compiled, compile_sql, compile_steps
from sfimport.store.history import HISTORY_SUFFIX
from sfimport.store.mydata import Column, Dataset


class PipeChecks(Core):
    """What a pipe definition compiles to and whether it may be saved."""

    def _check(
        self, definition: PipeDefinition, *, saving: bool = True
    ) -> tuple[Compiled, tuple[str, ...], tuple[PipeColumn, ...]]:
        """Compile, and check: read-only, every source resolved, columns named and typed,
        concealment carried through. Returns the SQL, the sources and the output columns."""
        compiled = self._compile(definition)
        analysis = check_read_only(compiled.sql)
        sources: list[Dataset] = []
        for folder, name in analysis.sources:
            found = self._source(f"{folder}.{name}", "sql" if definition.is_sql else "source")
            if found not in sources:
                sources.append(found)
        seen: set[str] = set()
        for name, type_ in compiled.columns:
            if name.lower() in seen:
                raise PipeInvalid(
                    f"Two output columns are named {name}.",
                    column=name,
                    remedy="Give one of them another name (AS ..., or a rename step).",
                )
            seen.add(name.lower())
            if saving and type_.strip('"').upper() == "NULL":
                raise PipeInvalid(
                    f"Output column {name} has no type (it is always NULL).",
                    column=name,
                    remedy=f"Give it one, e.g. CAST(NULL AS VARCHAR) AS {name}.",
                )
        columns = _conceal(compiled, sources)
        return compiled, tuple(f"{d.folder}.{d.name}" for d in sources), columns

    def _compile(self, definition: PipeDefinition) -> Compiled:
        if definition.is_sql:
            # Refused and resolved before anything binds, so the error names the data set.
            for folder, name in check_read_only(definition.sql).sources:
                self._source(f"{folder}.{name}", "sql")
            return compile_sql(definition, self._mydata.describe_select)
        return compile_steps(
            definition,
            self._mydata.describe_select,
            lambda ref: self._source(ref, "source").table,
            self._column_values,
        )

    def _column_values(self, sql: str) -> list[object]:
        result = self._mydata.query(sql, limit=1000, timeout=self.settings.query_timeout or None)
        return list(result.table.column(0).to_pylist())

    def _source(self, ref: str, step: str) -> Dataset:
        folder, dot, name = ref.partition(".")
        if not dot:
            raise PipeInvalid(
                f"Name the data set {ref!r} with its folder (Folder.Name).", step=step
            )
        folder, name = folder.strip('"'), name.strip('"')
        try:
            return self._mydata.get_dataset(folder, name)
        except NotFound:
            history = self._history_source(folder, name)
            if history is not None:
                return history
            raise PipeInvalid(
                f"There is no data set {ref} in My Data.",
                step=step,
                remedy="Import it first, or check the name with 'sfimport datasets'.",
            ) from None

    def _history_source(self, folder: str, name: str) -> Dataset | None:
        """A data set's history table (``Name__history``, while history mode is on) read as a
        source: its columns are the data set's and the version columns, concealed alike."""
        if not name.lower().endswith(HISTORY_SUFFIX):
            return None
        try:
            base = self._mydata.get_dataset(folder, name[: -len(HISTORY_SUFFIX)])
            if not self._mydata.options(base.folder, base.name).history:
                return None
        except NotFound:
            return None
        table = replace(base, name=base.name + HISTORY_SUFFIX)
        described = self._mydata.describe_select(f"SELECT * FROM {table.table}")
        known = {c.name: c for c in base.columns}
        columns = tuple(known.get(n) or Column(n, t, "", n) for n, t in described)
        return replace(table, columns=columns)


def _conceal(compiled: Compiled, sources: list[Dataset]) -> tuple[PipeColumn, ...]:
    """Output columns made from a concealed source column are concealed: a pipe never makes
    a concealed column plain again. A column whose lineage cannot be traced is concealed as
    soon as any source holds a concealed column (assume the worst)."""
    concealed = {
        (d.folder.lower(), d.name.lower(), c.lower()): f"{d.folder}.{d.name}.{c}"
        for d in sources
        for c in d.concealed
    }
    schema: dict[str, dict[str, dict[str, str]]] = {}
    for d in sources:
        schema.setdefault(d.folder, {})[d.name] = {c.name: c.type for c in d.columns}
    lineage = column_lineage(compiled.sql, schema) if concealed else {}
    columns = []
    for name, type_ in compiled.columns:
        if not concealed:
            columns.append(PipeColumn(name, type_))
            continue
        made_from = lineage.get(name.lower())
        if made_from is None:
            columns.append(
                PipeColumn(name, type_, True, "concealed: its sources hold concealed columns")
            )
            continue
        hits = sorted(concealed[c] for c in made_from if c in concealed)
        note = f"concealed: made from {', '.join(hits)}" if hits else ""
        columns.append(PipeColumn(name, type_, bool(hits), note))
    return tuple(columns)

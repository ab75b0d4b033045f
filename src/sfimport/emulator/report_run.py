"""Running a report synchronously: a run's reportMetadata overrides, report filters with custom
logic, the standard date filter, sorting and topRows, groupings down and across, aggregates, the
factMap (`T!T`, `0!T`, `0_1!0`...) and the 2,000-detail-row cap of synchronous runs."""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sfimport.emulator.currencies import report_currency, tag_amounts
from sfimport.emulator.errors import SalesforceApiError
from sfimport.emulator.org import Org, User
from sfimport.emulator.query import column, resolve
from sfimport.emulator.reports import (
    NUMERIC_TYPES,
    OPERATORS,
    ReportDefinition,
    ReportType,
    definition_extended_metadata,
    definition_of,
    extended_metadata,
    mark_run,
    report_urls,
    require_run_reports,
)
from sfimport.emulator.soql import FieldPath, parse, relative_range

# A synchronous run returns at most this many detail rows (allData false beyond).
DETAIL_ROW_LIMIT = 2000
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def _bad(message: str) -> SalesforceApiError:
    return SalesforceApiError(400, "BAD_REQUEST", message)


def effective_metadata(
    definition: ReportDefinition, overrides: Mapping[str, Any] | None
) -> dict[str, Any]:
    """The saved metadata with a run's `reportMetadata` overrides applied and checked."""
    metadata = definition.metadata()
    kind = definition.report_type
    for key, value in (overrides or {}).items():
        if key in {"id", "name", "developerName", "reportType", "folderId", "reportFormat"}:
            continue
        if key in metadata:
            metadata[key] = copy.deepcopy(value)
    for name in metadata["detailColumns"]:
        if kind.column(name) is None:
            raise _bad(f"The column {name} is not valid for this report type.")
    for item in metadata["reportFilters"] or []:
        if not isinstance(item, Mapping) or kind.column(str(item.get("column"))) is None:
            raise _bad(f"The filter column {item.get('column')} is not valid.")
        if item.get("operator") not in OPERATORS:
            raise _bad(f"The filter operator {item.get('operator')} is not valid.")
    for grouping in [*metadata["groupingsDown"], *metadata["groupingsAcross"]]:
        if kind.column(str(grouping.get("name"))) is None:
            raise _bad(f"The grouping column {grouping.get('name')} is not valid.")
    sort = metadata.get("sortBy") or []
    if len(sort) > 1:
        raise _bad("A report can only be sorted by one column.")
    if sort and sort[0].get("sortColumn") not in metadata["detailColumns"]:
        raise _bad("The sort column name must be from a selected column.")
    for key in metadata["aggregates"]:
        if key != "RowCount" and kind.column(key.partition("!")[2]) is None:
            raise _bad(f"The aggregate {key} is not valid.")
    return metadata


@dataclass
class _Data:
    """The report type's columns for the rows being reported on, keyed by column name."""

    labels: dict[str, pa.Array]
    ids: dict[str, pa.Array]
    rows: int


def _load(org: Org, user: User, kind: ReportType, names: set[str]) -> _Data:
    scope = org.scope(user)
    spec = scope.objects(kind.sobject)
    if spec is None:
        raise SalesforceApiError(403, "FORBIDDEN", "You don't have access to this report type.")
    query = parse(f"SELECT Id FROM {spec.name}")
    table = scope.table(spec.name)
    live = pc.indices_nonzero(pc.invert(pc.fill_null(table["IsDeleted"], False)))
    labels: dict[str, pa.Array] = {}
    ids: dict[str, pa.Array] = {}
    for name in sorted(names):
        col = kind.column(name)
        assert col is not None
        for target, path in ((labels, col.path), (ids, col.id_path)):
            if path is None:
                continue
            try:
                resolved = resolve(scope, query, spec, FieldPath(tuple(path.split(".")), 0))
            except SalesforceApiError:
                # Fields hidden by field-level security show as empty columns.
                target[name] = pa.nulls(len(live), pa.string())
                continue
            values = column(scope, spec.name, live, resolved.hops, resolved.field)
            if col.data_type == "date" and pa.types.is_timestamp(values.type):
                values = values.cast(pa.date32())
            target[name] = values
    return _Data(labels, ids, len(live))


def _parse_value(data_type: str, text: str, now: datetime) -> Any:
    """A filter value as the column's type; relative dates become (start, end) ranges."""
    if data_type in {"date", "datetime"}:
        literal = text.strip().upper()
        name, _, amount = literal.partition(":")
        name = name.replace("_FISCAL_", "_")
        if re.fullmatch(r"[A-Z_]+", name):
            try:
                return relative_range(name, int(amount or 0), now)
            except KeyError as exc:
                raise _bad(f"Invalid date literal: {text}") from exc
        try:
            moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
        except ValueError as exc:
            raise _bad(f"Invalid date value: {text}") from exc
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        if data_type == "date":
            return moment.date()
        return moment
    if data_type in NUMERIC_TYPES:
        try:
            return float(text.replace(",", "").removeprefix("USD").strip())
        except ValueError as exc:
            raise _bad(f"Invalid number: {text}") from exc
    if data_type == "boolean":
        return text.strip().lower() == "true"
    return text


def _scalar(data_type: str, value: Any) -> pa.Scalar:
    if data_type == "date":
        return pa.scalar(value if not isinstance(value, datetime) else value.date(), pa.date32())
    if data_type == "datetime":
        return pa.scalar(value, pa.timestamp("ms", tz="UTC"))
    return pa.scalar(value)


def _condition(
    data_type: str, values: pa.Array, operator: str, text: str, now: datetime
) -> pa.Array:
    """A boolean mask for one report filter (nulls resolved to False)."""
    if text == "" and operator in {"equals", "notEqual"}:
        blank = values.is_null()
        if pa.types.is_string(values.type):
            # Kleene "or": a null value is blank too (plain "or" turns null OR true into null).
            blank = pc.or_kleene(blank, pc.equal(values, ""))
        return pc.fill_null(blank if operator == "equals" else pc.invert(blank), False)
    if data_type in NUMERIC_TYPES or data_type in {"date", "datetime", "boolean"}:
        parsed = _parse_value(data_type, text, now)
        numeric = values.cast(pa.float64()) if data_type in NUMERIC_TYPES else values
        if isinstance(parsed, tuple):
            start, end = (_scalar(data_type, v) for v in parsed)
            inside = pc.and_(pc.greater_equal(numeric, start), pc.less(numeric, end))
            result = {
                "equals": inside,
                "notEqual": pc.invert(inside),
                "lessThan": pc.less(numeric, start),
                "lessOrEqual": pc.less(numeric, end),
                "greaterThan": pc.greater_equal(numeric, end),
                "greaterOrEqual": pc.greater_equal(numeric, start),
            }.get(operator)
        else:
            scalar = _scalar(data_type, parsed)
            result = {
                "equals": pc.equal(numeric, scalar),
                "notEqual": pc.not_equal(numeric, scalar),
                "lessThan": pc.less(numeric, scalar),
                "lessOrEqual": pc.less_equal(numeric, scalar),
                "greaterThan": pc.greater(numeric, scalar),
                "greaterOrEqual": pc.greater_equal(numeric, scalar),
            }.get(operator)
        if result is None:
            raise _bad(f"The operator {operator} cannot be used on a {data_type} column.")
        if operator == "notEqual":
            return pc.fill_null(result, True)
        return pc.fill_null(result, False)
    # Text compares case-insensitively; a comma separates alternatives (equals a,b).
    lowered = pc.utf8_lower(values.cast(pa.string()))
    choices = pa.array([part.strip().lower() for part in text.split(",")], pa.string())
    if operator in {"equals", "notEqual", "includes", "excludes"}:
        member = pc.is_in(lowered, value_set=choices)
        if operator in {"notEqual", "excludes"}:
            return pc.fill_null(pc.invert(member), True)
        return pc.fill_null(member, False)
    if operator in {"contains", "notContain", "startsWith"}:
        hits = None
        for choice in choices.to_pylist():
            one = (
                pc.starts_with(lowered, choice)
                if operator == "startsWith"
                else pc.match_substring(lowered, choice)
            )
            hits = one if hits is None else pc.or_(hits, one)
        assert hits is not None
        if operator == "notContain":
            return pc.fill_null(pc.invert(hits), True)
        return pc.fill_null(hits, False)
    scalar = pa.scalar(text.lower())
    compare = {
        "lessThan": pc.less,
        "lessOrEqual": pc.less_equal,
        "greaterThan": pc.greater,
        "greaterOrEqual": pc.greater_equal,
    }[operator]
    return pc.fill_null(compare(lowered, scalar), False)


_LOGIC_TOKEN = re.compile(r"\s*(\d+|AND|OR|NOT|\(|\))", re.IGNORECASE)


def _combine(logic: str | None, masks: Sequence[pa.Array], rows: int) -> pa.Array:
    """Apply `reportBooleanFilter` ("1 AND (2 OR 3)") to the filter masks; default AND."""
    if not masks:
        return pa.array(np.ones(rows, dtype=bool))
    if not logic:
        result = masks[0]
        for mask in masks[1:]:
            result = pc.and_(result, mask)
        return result
    tokens: list[str] = []
    position = 0
    while position < len(logic.rstrip()):
        match = _LOGIC_TOKEN.match(logic, position)
        if match is None:
            raise _bad(f"The filter logic is not valid: {logic}")
        tokens.append(match.group(1).upper())
        position = match.end()
    index = 0

    def peek() -> str | None:
        return tokens[index] if index < len(tokens) else None

    def take() -> str:
        nonlocal index
        if index >= len(tokens):
            raise _bad(f"The filter logic is not valid: {logic}")
        index += 1
        return tokens[index - 1]

    def expression() -> pa.Array:
        left = term()
        while peek() == "OR":
            take()
            left = pc.or_(left, term())
        return left

    def term() -> pa.Array:
        left = factor()
        while peek() == "AND":
            take()
            left = pc.and_(left, factor())
        return left

    def factor() -> pa.Array:
        token = take()
        if token == "NOT":
            return pc.invert(factor())
        if token == "(":
            inner = expression()
            if take() != ")":
                raise _bad(f"The filter logic is not valid: {logic}")
            return inner
        if token.isdigit() and 1 <= int(token) <= len(masks):
            return masks[int(token) - 1]
        raise _bad(f"The filter logic references a filter that does not exist: {token}")

    result = expression()
    if index != len(tokens):
        raise _bad(f"The filter logic is not valid: {logic}")
    return result


def _date_filter_mask(
    data_type: str, values: pa.Array, date_filter: Mapping[str, Any], now: datetime
) -> pa.Array | None:
    duration = str(date_filter.get("durationValue") or "CUSTOM")
    if duration == "CUSTOM":
        start, end = date_filter.get("startDate"), date_filter.get("endDate")
        if not start and not end:
            return None
        days = values.cast(pa.date32()) if data_type == "datetime" else values
        masks = []
        if start:
            masks.append(pc.greater_equal(days, _scalar("date", date.fromisoformat(start[:10]))))
        if end:
            masks.append(pc.less_equal(days, _scalar("date", date.fromisoformat(end[:10]))))
        combined = masks[0] if len(masks) == 1 else pc.and_(masks[0], masks[1])
        return pc.fill_null(combined, False)
    return _condition(data_type, values, "equals", duration, now)


def _group_values(
    data_type: str, labels: pa.Array, ids: pa.Array | None, granularity: str
) -> tuple[list[Any], list[str]]:
    """Per row: the grouping value and its label (dates bucketed by granularity)."""
    if data_type in {"date", "datetime"} and granularity not in {"None", ""}:
        days = labels.cast(pa.date32()) if data_type == "datetime" else labels
        out_values: list[Any] = []
        out_labels: list[str] = []
        for day in days.to_pylist():
            if day is None:
                out_values.append(None)
                out_labels.append("-")
                continue
            if granularity == "Year":
                start = day.replace(month=1, day=1)
                label = str(day.year)
            elif granularity == "Quarter":
                start = day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)
                label = f"Q{(day.month - 1) // 3 + 1}-{day.year}"
            elif granularity == "Month":
                start = day.replace(day=1)
                label = f"{_MONTHS[day.month - 1]} {day.year}"
            else:
                start, label = day, f"{day.month}/{day.day}/{day.year}"
            out_values.append(start.isoformat())
            out_labels.append(label)
        return out_values, out_labels
    cells = [_cell(data_type, v, i) for v, i in _pairs(labels, ids)]
    return [c["value"] for c in cells], [c["label"] for c in cells]


def _pairs(labels: pa.Array, ids: pa.Array | None) -> list[tuple[Any, Any]]:
    names = labels.to_pylist()
    keys = ids.to_pylist() if ids is not None else [None] * len(names)
    return list(zip(names, keys, strict=True))


def _money(amount: float) -> str:
    sign = "-" if amount < 0 else ""
    return f"{sign}${abs(amount):,.2f}"


def _number(value: float, data_type: str) -> str:
    if data_type == "int":
        return f"{int(value):,}"
    if data_type == "percent":
        return f"{value:,.0f}%" if float(value).is_integer() else f"{value:,.2f}%"
    return f"{value:,.2f}"


def _cell(data_type: str, value: Any, record_id: Any) -> dict[str, Any]:
    """One data cell: `{label, value}` as the Reports API writes it."""
    if value is None or value == "":
        return {"label": "-", "value": None}
    if record_id is not None:
        return {"label": str(value), "value": record_id}
    if data_type == "currency":
        return {"label": _money(float(value)), "value": {"amount": value, "currency": None}}
    if data_type in {"int", "double", "percent"}:
        return {"label": _number(value, data_type), "value": value}
    if data_type == "date":
        day = value if isinstance(value, date) else date.fromisoformat(str(value))
        return {"label": f"{day.month}/{day.day}/{day.year}", "value": day.isoformat()}
    if data_type == "datetime":
        moment = value.astimezone(UTC)
        hour = moment.hour % 12 or 12
        half = "AM" if moment.hour < 12 else "PM"
        label = f"{moment.month}/{moment.day}/{moment.year} {hour}:{moment.minute:02d} {half}"
        return {"label": label, "value": moment.strftime("%Y-%m-%dT%H:%M:%SZ")}
    if data_type == "boolean":
        return {"label": "true" if value else "false", "value": bool(value)}
    return {"label": str(value), "value": value}


@dataclass
class _Axis:
    """The groupings of one direction: per row its leaf key, and the nested grouping tree."""

    keys: list[str]
    tree: list[dict[str, Any]]
    all_keys: list[str]
    order: list[tuple[Any, ...]]


def _axis(
    kind: ReportType, data: _Data, groupings: Sequence[Mapping[str, Any]], positions: np.ndarray
) -> _Axis:
    count = len(positions)
    if not groupings:
        return _Axis(["T"] * count, [], [], [()] * count)
    take = pa.array(positions)
    levels = []
    for grouping in groupings:
        col = kind.column(str(grouping["name"]))
        assert col is not None
        ids = data.ids.get(col.name)
        values, labels = _group_values(
            col.data_type,
            data.labels[col.name].take(take),
            ids.take(take) if ids is not None else None,
            str(grouping.get("dateGranularity") or "None"),
        )
        descending = str(grouping.get("sortOrder", "Asc")).lower().startswith("desc")
        sort_keys = (
            labels
            if col.id_path is not None or col.data_type not in {"date", "datetime"}
            else values
        )
        levels.append((values, labels, [str(k).lower() for k in sort_keys], descending))

    def build(rows: list[int], level: int, prefix: str) -> list[dict[str, Any]]:
        values, labels, sort_keys, descending = levels[level]
        distinct: dict[Any, list[int]] = {}
        first: dict[Any, int] = {}
        for row in rows:
            key = values[row]
            distinct.setdefault(key, []).append(row)
            first.setdefault(key, row)
        present = [k for k in distinct if k is not None]
        present.sort(key=lambda k: sort_keys[first[k]], reverse=descending)
        if None in distinct:
            present.append(None)
        nodes = []
        for number, key in enumerate(present):
            node_key = f"{prefix}{number}" if not prefix else f"{prefix}_{number}"
            children = build(distinct[key], level + 1, node_key) if level + 1 < len(levels) else []
            nodes.append(
                {
                    "groupings": children,
                    "key": node_key,
                    "label": labels[first[key]],
                    "value": key,
                }
            )
            if level + 1 == len(levels):
                for row in distinct[key]:
                    leaf[row] = node_key
                    order[row] = tuple(int(part) for part in node_key.split("_"))
        return nodes

    leaf = [""] * count
    order: list[tuple[int, ...]] = [()] * count
    tree = build(list(range(count)), 0, "")
    all_keys: list[str] = []

    def walk(nodes: list[dict[str, Any]]) -> None:
        for node in nodes:
            all_keys.append(node["key"])
            walk(node["groupings"])

    walk(tree)
    return _Axis(leaf, tree, all_keys, list(order))


def _aggregate(
    kind: ReportType, data: _Data, keys: Sequence[str], positions: np.ndarray
) -> list[dict[str, Any]]:
    cells = []
    for key in keys:
        if key == "RowCount":
            cells.append({"label": f"{len(positions):,}", "value": len(positions)})
            continue
        prefix, _, name = key.partition("!")
        col = kind.column(name)
        assert col is not None
        values = data.labels[name].take(pa.array(positions)) if len(positions) else None
        if prefix == "u":
            unique = 0 if values is None else len(pc.unique(values.drop_null()))
            cells.append({"label": f"{unique:,}", "value": unique})
            continue
        numbers = (
            np.asarray(values.cast(pa.float64()).drop_null().to_numpy(zero_copy_only=False))
            if values is not None
            else np.zeros(0)
        )
        if prefix == "s":
            result: float | None = float(numbers.sum())
        elif not len(numbers):
            result = None
        else:
            if prefix == "a":
                result = float(numbers.mean())
            elif prefix == "m":
                result = float(numbers.min())
            else:
                result = float(numbers.max())
        if result is None:
            cells.append({"label": "-", "value": None})
        elif col.data_type == "currency":
            cells.append({"label": _money(result), "value": result})
        else:
            cells.append({"label": _number(result, col.data_type), "value": result})
    return cells


def run_report(
    org: Org,
    user: User,
    report_id: str,
    overrides: Mapping[str, Any] | None,
    include_details: bool,
    version: str,
) -> dict[str, Any]:
    """A synchronous run: `GET` (saved metadata) or `POST` (with `reportMetadata` overrides)."""
    require_run_reports(org, user)
    definition = definition_of(report_id)
    if definition.blocks:
        return _run_joined(org, user, definition, include_details, version)
    return _run_definition(org, user, definition, overrides, include_details, version)


def _run_joined(
    org: Org, user: User, definition: ReportDefinition, include_details: bool, version: str
) -> dict[str, Any]:
    """A joined report: every block runs as a report of its own; the fact map and the column
    info carry each block's prefix (``B0#T!T``). Filter overrides of joined reports are not
    applied (Salesforce lets a run change only a few properties of a joined report)."""
    runs = [
        _run_definition(org, user, block, None, include_details, version)
        for block in definition.blocks
    ]
    fact_map = {
        f"B{index}#{key}": entry
        for index, run in enumerate(runs)
        for key, entry in run["factMap"].items()
    }
    metadata = definition.metadata()
    mark_run(org, definition)
    urls = report_urls(definition, version)
    return {
        "allData": all(run["allData"] for run in runs),
        "attributes": {
            "describeUrl": urls["describeUrl"],
            "instancesUrl": urls["instancesUrl"],
            "reportId": definition.id,
            "reportName": definition.name,
            "type": "Report",
        },
        "factMap": fact_map,
        "groupingsAcross": {"groupings": []},
        "groupingsDown": {"groupings": []},
        "hasDetailRows": include_details,
        "reportExtendedMetadata": definition_extended_metadata(definition, metadata),
        "reportMetadata": metadata,
    }


def _run_definition(
    org: Org,
    user: User,
    definition: ReportDefinition,
    overrides: Mapping[str, Any] | None,
    include_details: bool,
    version: str,
) -> dict[str, Any]:
    kind = definition.report_type
    metadata = effective_metadata(definition, overrides)
    report_currency(org, metadata)
    now = org.clock.now()
    filters = list(metadata["reportFilters"] or [])
    date_filter = metadata.get("standardDateFilter") or None
    sort = (metadata.get("sortBy") or [None])[0]
    down = list(metadata["groupingsDown"]) if metadata["reportFormat"] != "TABULAR" else []
    across = list(metadata["groupingsAcross"]) if metadata["reportFormat"] == "MATRIX" else []
    needed = {*metadata["detailColumns"], *(f["column"] for f in filters)}
    needed |= {g["name"] for g in down + across}
    needed |= {k.partition("!")[2] for k in metadata["aggregates"] if k != "RowCount"}
    if date_filter:
        needed.add(str(date_filter["column"]))
    if sort:
        needed.add(str(sort["sortColumn"]))
    for name in needed:
        if kind.column(name) is None:
            raise _bad(f"The column {name} is not valid for this report type.")
    data = _load(org, user, kind, needed)

    masks = []
    for item in filters:
        col = kind.column(item["column"])
        assert col is not None
        value = "" if item.get("value") is None else str(item["value"])
        masks.append(_condition(col.data_type, data.labels[col.name], item["operator"], value, now))
    keep = _combine(metadata.get("reportBooleanFilter"), masks, data.rows)
    if date_filter:
        col = kind.column(str(date_filter["column"]))
        assert col is not None
        mask = _date_filter_mask(col.data_type, data.labels[col.name], date_filter, now)
        if mask is not None:
            keep = pc.and_(keep, mask)
    positions = np.flatnonzero(np.asarray(pc.fill_null(keep, False).to_numpy(zero_copy_only=False)))

    if sort:
        col = kind.column(str(sort["sortColumn"]))
        assert col is not None
        values = data.labels[col.name].take(pa.array(positions))
        if pa.types.is_string(values.type) and col.data_type != "id":
            values = pc.utf8_lower(values)
        descending = str(sort.get("sortOrder", "Asc")).lower().startswith("desc")
        order = pc.sort_indices(
            pa.table({"k": values}),
            sort_keys=[("k", "descending" if descending else "ascending", "at_end")],
        )
        positions = positions[np.asarray(order.to_numpy())]
    top = metadata.get("topRows") or None
    if top and top.get("rowLimit"):
        positions = positions[: int(top["rowLimit"])]

    down_axis = _axis(kind, data, down, positions)
    across_axis = _axis(kind, data, across, positions)
    # Overall detail order: by grouping, then the report's sort (stable).
    ranked = sorted(range(len(positions)), key=lambda i: (down_axis.order[i], across_axis.order[i]))
    shown = ranked[:DETAIL_ROW_LIMIT] if include_details else []
    all_data = not include_details or len(ranked) <= DETAIL_ROW_LIMIT

    detail_names = list(metadata["detailColumns"])
    rows_by_cell: dict[str, list[dict[str, Any]]] = {}
    if shown:
        picked = pa.array(positions[shown])
        columns = []
        for name in detail_names:
            col = kind.column(name)
            assert col is not None
            labels = data.labels[name].take(picked).to_pylist()
            ids = data.ids[name].take(picked).to_pylist() if name in data.ids else None
            columns.append(
                [
                    _cell(col.data_type, value, None if ids is None else ids[n])
                    for n, value in enumerate(labels)
                ]
            )
        paths = [kind.column(name).path for name in detail_names]  # type: ignore[union-attr]
        table = org.scope(user).table(kind.sobject)
        tag_amounts(org, table, paths, columns, positions[shown])
        for n, row in enumerate(shown):
            key = f"{down_axis.keys[row]}!{across_axis.keys[row]}"
            rows_by_cell.setdefault(key, []).append({"dataCells": [c[n] for c in columns]})

    def members(prefix: str, keys: list[str]) -> np.ndarray:
        if prefix == "T":
            return np.arange(len(positions))
        return np.array(
            [i for i, k in enumerate(keys) if k == prefix or k.startswith(prefix + "_")],
            dtype=np.int64,
        )

    fact_map: dict[str, Any] = {}
    for d in [*down_axis.all_keys, "T"]:
        in_down = members(d, down_axis.keys)
        for a in [*across_axis.all_keys, "T"]:
            in_across = members(a, across_axis.keys) if a != "T" else in_down
            cell = in_down if a == "T" else np.intersect1d(in_down, in_across)
            entry: dict[str, Any] = {
                "aggregates": _aggregate(kind, data, metadata["aggregates"], positions[cell])
            }
            # A run without details has no "rows" key at all (as recorded), not an empty list.
            if include_details:
                entry["rows"] = rows_by_cell.get(f"{d}!{a}", [])
            fact_map[f"{d}!{a}"] = entry
    mark_run(org, definition)
    urls = report_urls(definition, version)
    return {
        "allData": all_data,
        "attributes": {
            "describeUrl": urls["describeUrl"],
            "instancesUrl": urls["instancesUrl"],
            "reportId": definition.id,
            "reportName": definition.name,
            "type": "Report",
        },
        "factMap": fact_map,
        "groupingsAcross": {"groupings": across_axis.tree},
        "groupingsDown": {"groupings": down_axis.tree},
        "hasDetailRows": include_details,
        "reportExtendedMetadata": extended_metadata(kind, metadata),
        "reportMetadata": metadata,
    }

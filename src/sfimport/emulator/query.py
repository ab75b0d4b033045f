"""SOQL execution over the columnar org: resolve names, filter with `pyarrow.compute`
expressions, sort, slice, and render only the rows of the page being answered."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, cast

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sfimport.emulator.errors import SalesforceApiError
from sfimport.emulator.ids import to_18
from sfimport.emulator.schema import COMPOUND_TYPES, TEXT_TYPES, FieldSpec, ObjectSpec
from sfimport.emulator.soql import (
    AggregateComparison,
    BoolOp,
    Comparison,
    Condition,
    FieldPath,
    Formatted,
    Includes,
    InList,
    Like,
    Literal,
    Not,
    Query,
    parse,
    relative_range,
    soql_error,
)
from sfimport.emulator.soql_format import DEFAULT_TIME_ZONE, format_value

_NUMERIC = frozenset({"int", "double", "currency", "percent"})
_COMPONENT_KEYS = (
    ("GeocodeAccuracy", "geocodeAccuracy"),
    ("PostalCode", "postalCode"),
    ("Street", "street"),
    ("City", "city"),
    ("State", "state"),
    ("Country", "country"),
    ("Latitude__s", "latitude"),
    ("Longitude__s", "longitude"),
    ("Latitude", "latitude"),
    ("Longitude", "longitude"),
)
_ADDRESS_ORDER = (
    "city",
    "country",
    "geocodeAccuracy",
    "latitude",
    "longitude",
    "postalCode",
    "state",
    "street",
)


@dataclass(frozen=True)
class QueryScope:
    """What one user may see, as the executor needs it (supplied by the org model)."""

    objects: Callable[[str], ObjectSpec | None]
    fields: Callable[[ObjectSpec], Sequence[FieldSpec]]
    table: Callable[[str], pa.Table]
    object_for_prefix: Mapping[str, str]
    now: datetime


@dataclass(frozen=True)
class Hop:
    """One relationship step: the reference field followed and the objects it may point to."""

    field: FieldSpec
    targets: tuple[str, ...]


@dataclass(frozen=True)
class Resolved:
    path: FieldPath
    hops: tuple[Hop, ...]
    field: FieldSpec
    names: tuple[str, ...]


@dataclass
class _Node:
    name: str
    leaf: Resolved | None = None
    hops: tuple[Hop, ...] = ()
    children: dict[str, _Node] = field(default_factory=dict)


@dataclass(frozen=True)
class PlannedFormat:
    """A FORMAT() call resolved: the field formatted and the record key it is answered under."""

    formatted: Formatted
    resolved: Resolved | None
    key: str


@dataclass(frozen=True)
class Plan:
    """A resolved query: what to select and, after execution, which rows in which order."""

    query: Query
    sobject: ObjectSpec
    selected: tuple[Resolved, ...]
    root: _Node
    count_only: bool
    aggregate_keys: tuple[tuple[str, Resolved | None], ...]
    group_keys: tuple[Resolved, ...] = ()
    formats: tuple[PlannedFormat, ...] = ()


def _invalid_field(query: Query, path: FieldPath, sobject: str) -> SalesforceApiError:
    if len(path.parts) > 1:
        text = (
            f"Didn't understand relationship '{path.parts[0]}' in field path. If you are "
            "attempting to use a custom relationship, be sure to append the '__r' after the "
            "custom relationship name. Please reference your WSDL or the describe call for the "
            "appropriate names."
        )
    else:
        text = (
            f"No such column '{path.parts[0]}' on entity '{sobject}'. If you are attempting to "
            "use a custom field, be sure to append the '__c' after the custom field name. Please "
            "reference your WSDL or the describe call for the appropriate names."
        )
    return soql_error(query.text, path.position, "INVALID_FIELD", text)


def _visible_field(scope: QueryScope, spec: ObjectSpec, name: str) -> FieldSpec | None:
    lowered = name.lower()
    for candidate in scope.fields(spec):
        if candidate.name.lower() == lowered:
            return candidate
    return None


def resolve(scope: QueryScope, query: Query, sobject: ObjectSpec, path: FieldPath) -> Resolved:
    """Map a written path to fields the user can see, or raise INVALID_FIELD."""
    parts = path.parts
    if len(parts) > 1 and parts[0].lower() == sobject.name.lower():
        is_relationship = any(
            (f.relationship_name or "").lower() == parts[0].lower() for f in sobject.fields
        )
        if not is_relationship:
            parts = parts[1:]
    current = [sobject]
    hops: list[Hop] = []
    names: list[str] = []
    for rel in parts[:-1]:
        reference = None
        for spec in current:
            for candidate in scope.fields(spec):
                if (candidate.relationship_name or "").lower() == rel.lower():
                    reference = candidate
        if reference is None:
            raise _invalid_field(query, path, sobject.name)
        targets = tuple(t for t in reference.reference_to if scope.objects(t) is not None)
        hops.append(Hop(reference, targets))
        names.append(str(reference.relationship_name))
        current = [spec for spec in (scope.objects(t) for t in targets) if spec is not None]
    final = None
    for spec in current:
        final = _visible_field(scope, spec, parts[-1])
        if final is not None:
            break
    if final is None:
        raise _invalid_field(query, path, current[0].name if len(current) == 1 else sobject.name)
    names.append(final.name)
    return Resolved(path, tuple(hops), final, tuple(names))


def _selection(scope: QueryScope, query: Query, sobject: ObjectSpec) -> tuple[Resolved, ...]:
    """The SELECT list resolved in order, FIELDS() expanded to the fields the user can see."""
    items: list[Resolved] = []
    sets = list(query.field_sets)
    for index in range(len(query.fields) + 1):
        while sets and sets[0].index == index:
            kind = sets.pop(0).kind
            for spec in scope.fields(sobject):
                if kind == "ALL" or (kind == "CUSTOM") == spec.custom:
                    path = FieldPath((spec.name,), query.sobject_position)
                    items.append(Resolved(path, (), spec, (spec.name,)))
        if index < len(query.fields):
            items.append(resolve(scope, query, sobject, query.fields[index]))
    seen: set[str] = set()
    for item in items:
        key = ".".join(item.names).lower()
        if key in seen:
            # Unlike other SOQL errors this one has no caret block (FIELDS() docs).
            raise SalesforceApiError(
                400, "INVALID_FIELD", f"duplicate field selected: {'.'.join(item.names)}"
            )
        seen.add(key)
    return tuple(items)


def plan(scope: QueryScope, query: Query, *, filtered_by_parent: bool = False) -> Plan:
    """Resolve object and fields of a parsed query for one user.

    `filtered_by_parent`: a child relationship subquery, implicitly filtered by its parent's
    ids, which satisfies objects that demand a filter (ContentDocumentLink)."""
    sobject = scope.objects(query.sobject)
    if sobject is None:
        raise soql_error(
            query.text,
            query.sobject_position,
            "INVALID_TYPE",
            f"sObject type '{query.sobject}' is not supported. If you are attempting to use a "
            "custom object, be sure to append the '__c' after the entity name. Please reference "
            "your WSDL or the describe call for the appropriate names.",
        )
    if sobject.query_error is not None and not (
        sobject.query_error[0] == "MALFORMED_QUERY"
        and (query.where is not None or filtered_by_parent)
    ):
        code, message = sobject.query_error
        raise SalesforceApiError(400, code, message)
    selected = _selection(scope, query, sobject)
    root = _Node(sobject.name)
    for item in selected:
        node = root
        for depth, name in enumerate(item.names[:-1]):
            key = name.lower()
            if key not in node.children:
                node.children[key] = _Node(name, hops=item.hops[: depth + 1])
            node = node.children[key]
        node.children.setdefault(item.names[-1].lower(), _Node(item.names[-1], leaf=item))
    aggregates: list[tuple[str, Resolved | None]] = []
    unnamed = 0
    for aggregate in query.aggregates:
        resolved = (
            resolve(scope, query, sobject, aggregate.field) if aggregate.field is not None else None
        )
        if (
            resolved is not None
            and aggregate.function in {"SUM", "AVG"}
            and resolved.field.type not in _NUMERIC
        ):
            raise soql_error(
                query.text,
                aggregate.position,
                "MALFORMED_QUERY",
                f"field {resolved.path.text} does not support aggregate operator "
                f"{aggregate.function}",
            )
        if aggregate.alias is None:
            key = f"expr{unnamed}"
            unnamed += 1
        else:
            key = aggregate.alias
        aggregates.append((key, resolved))
    group_keys = tuple(resolve(scope, query, sobject, path) for path in query.group_by)
    formats: list[PlannedFormat] = []
    for formatted in query.formats:
        if formatted.aggregate is not None:
            key, resolved = aggregates[query.aggregates.index(formatted.aggregate)]
        else:
            assert formatted.path is not None
            resolved = resolve(scope, query, sobject, formatted.path)
            key = formatted.alias or resolved.names[-1]
        formats.append(PlannedFormat(formatted, resolved, key))
    return Plan(
        query,
        sobject,
        selected,
        root,
        query.count_only,
        tuple(aggregates),
        group_keys,
        tuple(formats),
    )


def _format(planned: PlannedFormat, value: Any) -> Any:
    resolved = planned.resolved
    aggregate = planned.formatted.aggregate
    if aggregate is not None and aggregate.function.startswith("COUNT"):
        return format_value(value, "int", 0, DEFAULT_TIME_ZONE)
    if resolved is None:
        return value
    kind = resolved.field.type
    if aggregate is not None and aggregate.function == "AVG" and kind == "int":
        kind = "double"
    return format_value(value, kind, resolved.field.scale, DEFAULT_TIME_ZONE)


def _apply_formats(
    scope: QueryScope,
    planned: Plan,
    indices: pa.Array,
    records: list[dict[str, Any]],
    version: str,
) -> None:
    """FORMAT() in place: a field keeps its key; an aliased one is inserted under its alias."""
    sobject = planned.sobject.name
    for item in planned.formats:
        formatted, resolved = item.formatted, item.resolved
        if formatted.path is None or formatted.alias is None:
            for record in records:
                holder: Any = record
                names = resolved.names if resolved and formatted.path else (item.key,)
                for name in names[:-1]:
                    holder = holder.get(name) if isinstance(holder, dict) else None
                if isinstance(holder, dict) and names[-1] in holder:
                    holder[names[-1]] = _format(item, holder[names[-1]])
            continue
        assert resolved is not None
        raw = column(scope, sobject, indices, resolved.hops, resolved.field)
        owner = sobject if not resolved.hops else resolved.hops[-1].targets[0]
        values = _rendered(scope, resolved.field, raw, [None] * len(raw), owner, version)
        heads = {path.parts[0].lower() for path in planned.query.fields[: formatted.after]}
        for index, (record, value) in enumerate(zip(records, values, strict=True)):
            items = list(record.items())
            where = 1 + sum(1 for key, _ in items[1:] if key.lower() in heads)
            items.insert(where, (item.key, _format(item, value)))
            records[index] = dict(items)


def column(
    scope: QueryScope, sobject: str, indices: pa.Array, hops: Sequence[Hop], target: FieldSpec
) -> pa.Array:
    """Values of a (possibly relationship) field for the rows `indices` of `sobject`."""
    table = scope.table(sobject)
    if not hops:
        if target.name not in table.column_names:
            return pa.nulls(len(indices), pa.string())
        return table[target.name].take(indices).combine_chunks()
    hop = hops[0]
    keys = table[hop.field.name].take(indices).combine_chunks()
    result: pa.Array | None = None
    for name in hop.targets:
        related = scope.table(name)
        positions = pc.index_in(keys, value_set=related["Id"].combine_chunks())
        values = column(scope, name, positions, hops[1:], target)
        result = values if result is None else pc.coalesce(result, values)
    return result if result is not None else pa.nulls(len(indices), pa.string())


def _type_error(query: Query, path: FieldPath, spec: FieldSpec) -> SalesforceApiError:
    kind = {"datetime": "dateTime", "date": "date", "boolean": "boolean"}.get(spec.type)
    if kind is None:
        kind = "double" if spec.type in _NUMERIC else "string"
    quoted = "be enclosed in quotes" if kind == "string" else "not be enclosed in quotes"
    return soql_error(
        query.text,
        path.position,
        "INVALID_FIELD",
        f"value of filter criterion for field '{spec.name}' must be of type {kind} and should "
        f"{quoted}",
    )


def _scalar(query: Query, path: FieldPath, spec: FieldSpec, literal: Literal) -> pa.Scalar:
    kind = spec.type
    if literal.kind == "null":
        return pa.scalar(None)
    if kind in TEXT_TYPES and literal.kind == "string":
        text = str(literal.value)
        if kind in {"id", "reference"} and len(text) == 15:
            text = to_18(text)
        return pa.scalar(text.lower())
    if kind == "boolean" and literal.kind == "boolean":
        return pa.scalar(bool(literal.value))
    if kind in _NUMERIC and literal.kind == "number":
        return pa.scalar(float(literal.value))  # type: ignore[arg-type]
    if kind == "date" and literal.kind == "date":
        return pa.scalar(literal.value, type=pa.date32())
    if kind == "datetime" and literal.kind == "datetime":
        return pa.scalar(literal.value, type=pa.timestamp("ms", tz="UTC"))
    raise _type_error(query, path, spec)


def _comparable(spec: FieldSpec, expression: pc.Expression) -> pc.Expression:
    # SOQL compares text case-insensitively; numbers compare as doubles.
    if spec.type in TEXT_TYPES:
        return pc.utf8_lower(expression)
    if spec.type in _NUMERIC:
        return expression.cast(pa.float64())
    return expression


def _range_scalars(spec: FieldSpec, start: datetime, end: datetime) -> tuple[pa.Scalar, pa.Scalar]:
    if spec.type == "date":
        return pa.scalar(start.date(), pa.date32()), pa.scalar(end.date(), pa.date32())
    kind = pa.timestamp("ms", tz="UTC")
    return pa.scalar(start, kind), pa.scalar(end, kind)


class _Compiler:
    def __init__(self, scope: QueryScope, query: Query, sobject: ObjectSpec) -> None:
        self.scope = scope
        self.query = query
        self.sobject = sobject
        self.columns: dict[str, Resolved] = {}

    def ref(self, path: FieldPath) -> tuple[pc.Expression, FieldSpec]:
        resolved = resolve(self.scope, self.query, self.sobject, path)
        if resolved.field.type in COMPOUND_TYPES or not resolved.field.filterable:
            raise soql_error(
                self.query.text,
                path.position,
                "INVALID_FIELD",
                f"field '{resolved.field.name}' can not be filtered in a query call",
            )
        key = "c" + str(len(self.columns))
        for existing, other in self.columns.items():
            if other.names == resolved.names:
                key = existing
        self.columns[key] = resolved
        return pc.field(key), resolved.field

    def compile(self, condition: Condition) -> pc.Expression:
        if isinstance(condition, BoolOp):
            parts = [self.compile(item) for item in condition.items]
            combined = parts[0]
            for part in parts[1:]:
                combined = combined & part if condition.operator == "AND" else combined | part
            return combined
        if isinstance(condition, Not):
            inner = self.compile(condition.item)
            return ~pc.coalesce(inner, pa.scalar(False))
        if isinstance(condition, Like):
            expression, spec = self.ref(condition.field)
            if spec.type not in TEXT_TYPES:
                raise _type_error(self.query, condition.field, spec)
            return pc.match_like(expression, condition.pattern, ignore_case=True)
        if isinstance(condition, Includes):
            expression, spec = self.ref(condition.field)
            if spec.type != "multipicklist":
                raise SalesforceApiError(
                    400,
                    "INVALID_FIELD",
                    f"INCLUDES and EXCLUDES operators are only valid on multipicklist fields: "
                    f"{condition.field.text}",
                )
            matched: pc.Expression | None = None
            for group in condition.values:
                every: pc.Expression | None = None
                for part in (p.strip() for p in group.split(";") if p.strip()):
                    pattern = f"(^|;){re.escape(part)}(;|$)"
                    found = pc.match_substring_regex(expression, pattern=pattern, ignore_case=True)
                    every = found if every is None else every & found
                if every is not None:
                    matched = every if matched is None else matched | every
            if matched is None:
                return pc.scalar(condition.excluded)
            if condition.excluded:
                # EXCLUDES keeps records whose multipicklist is empty.
                return ~pc.coalesce(matched, pa.scalar(False)) | expression.is_null()
            return pc.coalesce(matched, pa.scalar(False))
        if isinstance(condition, InList) and condition.subquery is not None:
            expression, spec = self.ref(condition.field)
            inner_plan = plan(self.scope, parse(condition.subquery))
            rows = execute(self.scope, inner_plan, False)
            (selected,) = inner_plan.selected
            found = column(self.scope, inner_plan.sobject.name, rows, selected.hops, selected.field)
            value_set = pa.array(sorted({v for v in found.to_pylist() if v is not None}))
            if len(value_set) == 0:
                value_set = pa.array([], type=pa.string())
            value_set = value_set.cast(pa.string())
            if spec.type in TEXT_TYPES:
                value_set = pc.utf8_lower(value_set)
            member = pc.is_in(_comparable(spec, expression), value_set=value_set)
            if condition.negated:
                return ~pc.coalesce(member, pa.scalar(False)) | expression.is_null()
            return pc.coalesce(member, pa.scalar(False))
        if isinstance(condition, InList):
            expression, spec = self.ref(condition.field)
            values = [_scalar(self.query, condition.field, spec, v) for v in condition.values]
            value_set = pa.array([v.as_py() for v in values if v.is_valid])
            if spec.type in _NUMERIC:
                value_set = value_set.cast(pa.float64())
            member = pc.is_in(_comparable(spec, expression), value_set=value_set)
            if condition.negated:
                # SOQL's NOT IN, like !=, keeps rows whose value is null.
                return ~pc.coalesce(member, pa.scalar(False)) | expression.is_null()
            return member
        if isinstance(condition, AggregateComparison):  # the parser admits them in HAVING only
            raise AssertionError("an aggregate call in WHERE")
        return self.comparison(condition)

    def comparison(self, condition: Comparison) -> pc.Expression:
        expression, spec = self.ref(condition.field)
        literal, operator = condition.value, condition.operator
        if literal.kind == "null":
            if operator == "=":
                return expression.is_null()
            if operator == "!=":
                return expression.is_valid()
            raise _type_error(self.query, condition.field, spec)
        if literal.kind == "relative":
            if spec.type not in {"date", "datetime"}:
                raise _type_error(self.query, condition.field, spec)
            name, amount = cast(tuple[str, int], literal.value)
            start, end = _range_scalars(spec, *relative_range(name, amount, self.scope.now))
            return {
                "=": (expression >= start) & (expression < end),
                "!=": (expression < start) | (expression >= end) | expression.is_null(),
                "<": expression < start,
                "<=": expression < end,
                ">": expression >= end,
                ">=": expression >= start,
            }[operator]
        value = _scalar(self.query, condition.field, spec, literal)
        left = _comparable(spec, expression)
        if operator == "!=":
            # In SOQL `Field != 'x'` also matches records where Field is null.
            return (left != value) | expression.is_null()
        return {
            "=": left == value,
            "<": left < value,
            "<=": left <= value,
            ">": left > value,
            ">=": left >= value,
        }[operator]


def execute(scope: QueryScope, planned: Plan, include_deleted: bool) -> pa.Array:
    """Row indices (into the object's table) the query returns, in order, LIMIT/OFFSET applied."""
    table = scope.table(planned.sobject.name)
    query = planned.query
    candidates = pa.array(np.arange(table.num_rows, dtype=np.int64))
    if not include_deleted and "IsDeleted" in table.column_names:
        candidates = pc.indices_nonzero(pc.invert(pc.fill_null(table["IsDeleted"], False)))
        candidates = (
            candidates.combine_chunks() if isinstance(candidates, pa.ChunkedArray) else (candidates)
        )
    if query.where is not None:
        compiler = _Compiler(scope, query, planned.sobject)
        expression = compiler.compile(query.where)
        work = {"__row": candidates}
        for key, resolved in compiler.columns.items():
            work[key] = column(
                scope, planned.sobject.name, candidates, resolved.hops, resolved.field
            )
        candidates = pa.table(work).filter(expression)["__row"].combine_chunks()
    if query.order_by:
        keys: dict[str, pa.Array] = {}
        sort_keys = []
        for position, order_key in enumerate(query.order_by):
            resolved = resolve(scope, query, planned.sobject, order_key.field)
            values = column(scope, planned.sobject.name, candidates, resolved.hops, resolved.field)
            # Text sorts case-insensitively; ids sort by their (case-sensitive) key order.
            if pa.types.is_string(values.type) and resolved.field.type not in {"id", "reference"}:
                values = pc.utf8_lower(values)
            keys[f"k{position}"] = values
            # SOQL puts nulls first in ascending order and last in descending order by default.
            sort_keys.append(
                (
                    f"k{position}",
                    "descending" if order_key.descending else "ascending",
                    "at_end" if order_key.nulls_last else "at_start",
                )
            )
        order = pc.sort_indices(pa.table(keys), sort_keys=sort_keys)
        candidates = candidates.take(order)
    if query.group_by:
        return candidates  # LIMIT and OFFSET count groups, not rows
    start = query.offset or 0
    stop = None if query.limit is None else start + query.limit
    return candidates[start:stop]


def _rendered(
    scope: QueryScope, spec: FieldSpec, values: pa.Array, ids: list[Any], sobject: str, version: str
) -> list[Any]:
    kind = spec.type
    if kind == "datetime":
        return list(pc.strftime(values, format="%Y-%m-%dT%H:%M:%S+0000").to_pylist())
    if kind == "date":
        return list(values.cast(pa.string()).to_pylist())
    if kind == "time":
        text = values.cast(pa.string())
        return list(pc.binary_join_element_wise(text, pa.scalar("Z"), "").to_pylist())
    if kind == "base64":
        # A query never inlines a blob: it returns the path of the resource serving it.
        prefix = f"/services/data/v{version}/sobjects/{sobject}/"
        return [
            None if value is None or row_id is None else f"{prefix}{row_id}/{spec.name}"
            for value, row_id in zip(values.to_pylist(), ids, strict=True)
        ]
    return list(values.to_pylist())


def _compound(
    scope: QueryScope,
    sobject: str,
    indices: pa.Array,
    hops: Sequence[Hop],
    compound: FieldSpec,
    version: str,
) -> list[Any]:
    owner = scope.objects(sobject)
    assert owner is not None
    target_spec = owner
    if hops:
        target = scope.objects(hops[-1].targets[0])
        assert target is not None
        target_spec = target
    parts: dict[str, list[Any]] = {}
    for component in target_spec.fields:
        if component.compound_field_name != compound.name:
            continue
        suffix = component.name.removeprefix(compound.name.removesuffix("Address"))
        if compound.type == "location":
            suffix = component.name.removeprefix(compound.name.removesuffix("__c") + "__")
        for ending, key in _COMPONENT_KEYS:
            if suffix == ending:
                values = column(scope, sobject, indices, hops, component)
                parts[key] = _rendered(scope, component, values, [], sobject, version)
    order = _ADDRESS_ORDER if compound.type == "address" else ("latitude", "longitude")
    rows: list[Any] = []
    for position in range(len(indices)):
        value = {key: parts[key][position] for key in order if key in parts}
        rows.append(value if any(v is not None for v in value.values()) else None)
    return rows


def render_records(
    scope: QueryScope, planned: Plan, indices: pa.Array, version: str
) -> list[dict[str, Any]]:
    """JSON-ready records for `indices` only: attributes first, fields in SELECT order."""
    sobject = planned.sobject.name

    def attributes(types: list[str | None], ids: list[Any]) -> list[dict[str, Any] | None]:
        out: list[dict[str, Any] | None] = []
        for kind, row_id in zip(types, ids, strict=True):
            if kind is None:
                out.append(None)
            else:
                attrs: dict[str, Any] = {"type": kind}
                if row_id is not None:
                    attrs["url"] = f"/services/data/v{version}/sobjects/{kind}/{row_id}"
                out.append(attrs)
        return out

    def build(node: _Node, ids: list[Any]) -> list[list[tuple[str, Any]]]:
        rows: list[list[tuple[str, Any]]] = [[] for _ in ids]
        for child in node.children.values():
            if child.leaf is not None:
                leaf = child.leaf
                if leaf.field.type in COMPOUND_TYPES:
                    values = _compound(scope, sobject, indices, leaf.hops, leaf.field, version)
                else:
                    raw = column(scope, sobject, indices, leaf.hops, leaf.field)
                    owner = sobject if not leaf.hops else leaf.hops[-1].targets[0]
                    values = _rendered(scope, leaf.field, raw, ids, owner, version)
                for row, value in zip(rows, values, strict=True):
                    row.append((child.name, value))
                continue
            id_field = FieldSpec("Id", "id", "Id")
            related = column(scope, sobject, indices, child.hops, id_field).to_pylist()
            types = [
                None if rid is None else scope.object_for_prefix.get(rid[:3]) for rid in related
            ]
            nested = build(child, related)
            for row, attrs, items in zip(rows, attributes(types, related), nested, strict=True):
                row.append(
                    (child.name, None if attrs is None else {"attributes": attrs, **dict(items)})
                )
        return rows

    base_ids = scope.table(sobject)["Id"].take(indices).to_pylist()
    records = []
    head = attributes([sobject] * len(base_ids), base_ids)
    for attrs, items in zip(head, build(planned.root, base_ids), strict=True):
        records.append({"attributes": attrs, **dict(items)})
    for typeof in planned.query.typeofs:
        for record in records:
            key = next((k for k in record if k.lower() == typeof.relationship.lower()), None)
            related = record.get(key) if key is not None else None
            if key is None or not isinstance(related, dict):
                continue
            kind = str(related["attributes"]["type"]).lower()
            wanted = dict(typeof.whens).get(kind, typeof.otherwise)
            lowered = {k.lower(): k for k in related}
            record[key] = {"attributes": related["attributes"]} | {
                lowered[name.lower()]: related[lowered[name.lower()]]
                for name in wanted
                if name.lower() in lowered
            }
    if planned.formats:
        _apply_formats(scope, planned, indices, records, version)
    return records


def aggregate_record(scope: QueryScope, planned: Plan, indices: pa.Array) -> dict[str, Any]:
    """The single AggregateResult row of `SELECT COUNT(field) ... FROM ...`."""
    grouped = Plan(
        planned.query,
        planned.sobject,
        (),
        planned.root,
        False,
        planned.aggregate_keys,
        (),
        planned.formats,
    )
    records = grouped_records(scope, grouped, indices, "0")
    return records[0] if records else _empty(planned)


def _empty(planned: Plan) -> dict[str, Any]:
    record: dict[str, Any] = {"attributes": {"type": "AggregateResult"}}
    for (key, _), aggregate in zip(planned.aggregate_keys, planned.query.aggregates, strict=True):
        record[key] = 0 if aggregate.function.startswith("COUNT") else None
    return record


def _aggregate(function: str, values: list[Any], spec: FieldSpec | None) -> Any:
    present = [value for value in values if value is not None]
    if function == "COUNT":
        return len(present) if spec is not None else len(values)
    if function == "COUNT_DISTINCT":
        return len(set(present))
    if not present:
        return None
    if function == "SUM":
        return float(sum(present)) if spec is not None and spec.type != "int" else sum(present)
    if function == "AVG":
        return sum(present) / len(present)
    return min(present) if function == "MIN" else max(present)


def _holds(condition: Condition, group: dict[str, Any], having: Callable[..., Any]) -> bool:
    """Evaluate a HAVING condition on one group (grouped fields and aggregate calls)."""
    if isinstance(condition, BoolOp):
        results = [_holds(item, group, having) for item in condition.items]
        return all(results) if condition.operator == "AND" else any(results)
    if isinstance(condition, Not):
        return not _holds(condition.item, group, having)
    if isinstance(condition, AggregateComparison):
        left = having(condition)
        operator, right = condition.operator, condition.literal.value
    elif isinstance(condition, Comparison):
        left = group.get(condition.field.text.lower())
        operator, right = condition.operator, condition.value.value
    elif isinstance(condition, Like):
        value = group.get(condition.field.text.lower())
        pattern = "".join(
            ".*" if ch == "%" else "." if ch == "_" else re.escape(ch) for ch in condition.pattern
        )
        return (
            value is not None
            and re.fullmatch(pattern, str(value), re.IGNORECASE | re.S) is not None
        )
    elif isinstance(condition, InList):
        value = group.get(condition.field.text.lower())
        member = value is not None and any(value == item.value for item in condition.values)
        # As in WHERE, NOT IN keeps a null group key.
        return (not member) if condition.negated else member
    elif isinstance(condition, Includes):
        value = group.get(condition.field.text.lower())
        chosen = {part.lower() for part in str(value or "").split(";") if part}
        hit = any(
            {part.lower() for part in wanted.split(";")} <= chosen for wanted in condition.values
        )
        return value is not None and hit != condition.excluded
    else:  # the parser admits nothing else in HAVING
        raise AssertionError(f"unexpected HAVING condition {condition!r}")
    if operator in {"=", "!="}:
        return bool(left == right) == (operator == "=")
    if left is None or right is None:
        return False
    try:
        outcome: bool = {
            "<": left < right,
            "<=": left <= right,
            ">": left > right,
            ">=": left >= right,
        }[operator]
        return outcome
    except TypeError:
        return False


def grouped_records(
    scope: QueryScope, planned: Plan, indices: pa.Array, version: str
) -> list[dict[str, Any]]:
    """AggregateResult rows of a GROUP BY query: one per group, HAVING, OFFSET, LIMIT applied.

    Groups come in the order their first row has after WHERE and ORDER BY."""
    query = planned.query
    sobject = planned.sobject.name
    keys = [
        column(scope, sobject, indices, item.hops, item.field).to_pylist()
        for item in planned.group_keys
    ]
    groups: dict[tuple[Any, ...], list[int]] = {}
    for row in range(len(indices)):
        groups.setdefault(tuple(values[row] for values in keys), []).append(row)
    raw: dict[str, pa.Array] = {}

    def values_of(resolved: Resolved | None) -> pa.Array | None:
        if resolved is None:
            return None
        name = ".".join(resolved.names)
        if name not in raw:
            raw[name] = column(scope, sobject, indices, resolved.hops, resolved.field)
        return raw[name]

    def render(spec: FieldSpec, kind: pa.DataType, value: Any) -> Any:
        if value is None:
            return None
        return _rendered(scope, spec, pa.array([value], type=kind), [None], sobject, version)[0]

    def compute(function: str, resolved: Resolved | None, rows: list[int]) -> Any:
        array = values_of(resolved)
        if array is None or resolved is None:
            return len(rows)
        picked = array.take(pa.array(rows, type=pa.int64())).to_pylist()
        result = _aggregate(function, picked, resolved.field)
        if function in {"MIN", "MAX"}:
            return render(resolved.field, array.type, result)
        return result

    records: list[dict[str, Any]] = []
    for group_key, rows in groups.items():
        by_name = {
            item.path.text.lower(): value
            for item, value in zip(planned.group_keys, group_key, strict=True)
        }
        if query.having is not None:

            def having(condition: AggregateComparison, rows: list[int] = rows) -> Any:
                resolved = (
                    None
                    if condition.field is None
                    else resolve(scope, query, planned.sobject, condition.field)
                )
                return compute(condition.function, resolved, rows)

            if not _holds(query.having, by_name, having):
                continue
        record: dict[str, Any] = {"attributes": {"type": "AggregateResult"}}
        for item in planned.selected:
            kind = column(scope, sobject, indices[:0], item.hops, item.field).type
            record[item.field.name] = render(item.field, kind, by_name[item.path.text.lower()])
        for (key, resolved), aggregate in zip(
            planned.aggregate_keys, query.aggregates, strict=True
        ):
            record[key] = compute(aggregate.function, resolved, rows)
        records.append(record)
    if planned.formats:
        _apply_formats(scope, planned, indices, records, version)
    if not query.group_by:
        return records
    start = query.offset or 0
    stop = None if query.limit is None else start + query.limit
    return records[start:stop]


def timestamp(value: datetime | date) -> str:
    """REST JSON datetime form: millisecond precision and a `+0000` offset without colon."""
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day, tzinfo=UTC)
    moment = value.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"

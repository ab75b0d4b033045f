"""Formula and roll-up fields whose values come from other records, computed when read.

Salesforce computes a cross-object formula (``Opportunity.Account_Industry__c`` =
``Account.Industry``) and keeps a roll-up summary (``Account.Total_Opportunity_Amount__c`` =
``SUM(Opportunity.Amount)``) up to date without touching the record that shows them: its
``SystemModstamp`` stays as it was. The emulator does the same by computing these columns from
the related tables each time a table is read, so a change to the related record shows at once
and an incremental read by ``SystemModstamp`` misses it, as on a real org.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import pyarrow as pa
import pyarrow.compute as pc

from sfimport.emulator.schema import FieldSpec, ObjectSpec

_LOOKUP = re.compile(r"^(\w+)\.(\w+)$")
_ROLLUP = re.compile(r"^(SUM|COUNT|MAX|MIN)\((\w+)\.(\w+)\)$", re.IGNORECASE)

#: Tables by object name, as the org keeps them.
Tables = Mapping[str, pa.Table]


def cross_record_fields(spec: ObjectSpec) -> list[FieldSpec]:
    """The fields of ``spec`` whose value depends on another record."""
    return [
        f
        for f in spec.fields
        if f.rollup is not None or (f.formula is not None and _LOOKUP.match(f.formula))
    ]


#: The last answer per object, with the tables it came from: tables are immutable and replaced
#: on every change, so the same table objects give the same values (REST pages of one query
#: read the table again per page; a large org would recompute the roll-ups each time).
_LAST: dict[str, tuple[tuple[pa.Table, ...], pa.Table]] = {}


def with_cross_record_values(
    spec: ObjectSpec, table: pa.Table, tables: Tables, objects: Mapping[str, ObjectSpec]
) -> pa.Table:
    """``table`` with each cross-record formula and roll-up column computed from ``tables``."""
    fields = cross_record_fields(spec)
    if not fields:
        return table
    sources = (table, *(tables[name] for name in sorted(tables)))
    cached = _LAST.get(spec.name)
    if (
        cached is not None
        and len(cached[0]) == len(sources)
        and all(a is b for a, b in zip(cached[0], sources, strict=True))
    ):
        return cached[1]
    computed = _computed(spec, fields, table, tables, objects)
    _LAST[spec.name] = (sources, computed)
    return computed


def _computed(
    spec: ObjectSpec,
    fields: list[FieldSpec],
    table: pa.Table,
    tables: Tables,
    objects: Mapping[str, ObjectSpec],
) -> pa.Table:
    for field in fields:
        if field.name not in table.column_names:
            continue
        if field.rollup is not None:
            values = _rollup(spec, field, field.rollup, table, tables, objects)
        else:
            assert field.formula is not None
            values = _lookup(spec, field.formula, table, tables, objects)
        if values is None:
            continue
        index = table.column_names.index(field.name)
        column_type = table.schema.field(index).type
        table = table.set_column(index, field.name, values.cast(column_type))
    return table


def _lookup(
    spec: ObjectSpec,
    formula: str,
    table: pa.Table,
    tables: Tables,
    objects: Mapping[str, ObjectSpec],
) -> pa.Array | None:
    match = _LOOKUP.match(formula)
    assert match is not None
    relationship, target_field = match.groups()
    reference = next((f for f in spec.fields if f.relationship_name == relationship), None)
    if reference is None or not reference.reference_to:
        return None
    parent = objects.get(reference.reference_to[0].lower())
    if parent is None or parent.name not in tables:
        return None
    parents = tables[parent.name]
    found = pc.index_in(table[reference.name], value_set=parents["Id"].combine_chunks())
    values = parents[target_field].combine_chunks()
    # A record whose parent is missing (or none) shows an empty value.
    return pc.take(values, found)


def _rollup(
    spec: ObjectSpec,
    field: FieldSpec,
    rollup: str,
    table: pa.Table,
    tables: Tables,
    objects: Mapping[str, ObjectSpec],
) -> pa.Array | None:
    match = _ROLLUP.match(rollup)
    assert match is not None
    operation, child_name, child_field = match.groups()
    child = objects.get(child_name.lower())
    if child is None or child.name not in tables:
        return None
    reference = next((f for f in child.fields if spec.name in f.reference_to), None)
    if reference is None:
        return None
    children = tables[child.name]
    if "IsDeleted" in children.column_names:
        # Deleted children (in the recycle bin) no longer count.
        children = children.filter(pc.invert(pc.fill_null(children["IsDeleted"], False)))
    aggregate = operation.lower()
    grouped = (
        pa.table({"parent": children[reference.name], "value": children[child_field]})
        .group_by("parent")
        .aggregate([("value", aggregate)])
    )
    found = pc.index_in(table["Id"], value_set=grouped["parent"].combine_chunks())
    values = pc.take(grouped[f"value_{aggregate}"].combine_chunks(), found)
    if aggregate in ("sum", "count"):
        # A parent without children shows 0, not an empty value.
        values = pc.fill_null(values, 0)
    return values

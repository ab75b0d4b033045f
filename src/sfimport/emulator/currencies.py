"""A multi-currency org: ``CurrencyIsoCode`` on its money objects, and report amounts that carry
their own currency (``{"amount": 950.0, "currency": "EUR"}``) in a report whose metadata names
the corporate currency, as Salesforce answers once multi-currency is enabled.

Off by default (the demo org is single-currency, as most orgs are): ``build_demo_org(...,
multi_currency=True)`` turns it on. Codes are chosen from each record's Id, so the org's other
generated values (each object's random stream) do not move.
"""

from __future__ import annotations

import dataclasses
import zlib
from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sfimport.emulator.org import Org
from sfimport.emulator.schema import FieldSpec

#: The org's corporate currency: a multi-currency report's ``reportMetadata.currency``.
CORPORATE_CURRENCY = "USD"
#: The org's active currencies, each with how many in ten records use it.
CURRENCY_WEIGHTS = (("USD", 6), ("EUR", 2), ("GBP", 1), ("JPY", 1))
#: The demo's objects with money fields that get a currency of their own.
MONEY_OBJECTS = ("Account", "Opportunity")
CURRENCY_FIELD = FieldSpec(
    "CurrencyIsoCode",
    "picklist",
    "Currency ISO Code",
    length=3,
    nillable=False,
    picklist=tuple(code for code, _ in CURRENCY_WEIGHTS),
)


def enable_multi_currency(org: Org) -> None:
    """Give the org's money objects a ``CurrencyIsoCode`` and its reports a currency."""
    for name in MONEY_OBJECTS:
        spec = org.objects[name.lower()]
        if any(f.name == CURRENCY_FIELD.name for f in spec.fields):
            continue
        org.objects[name.lower()] = dataclasses.replace(spec, fields=(*spec.fields, CURRENCY_FIELD))
        table = org.tables[name]
        org.tables[name] = table.append_column(CURRENCY_FIELD.name, currency_codes(table["Id"]))
    org.multi_currency = True


def currency_codes(ids: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Each record's currency, from its Id (the same Id always has the same currency)."""
    pool = [code for code, weight in CURRENCY_WEIGHTS for _ in range(weight)]
    return pa.array([pool[zlib.crc32(str(i).encode()) % len(pool)] for i in ids.to_pylist()])


def report_currency(org: Org, metadata: dict[str, Any]) -> None:
    """A multi-currency org's report (describe and run) is shown in the corporate currency."""
    if org.multi_currency:
        metadata["currency"] = CORPORATE_CURRENCY


def tag_amounts(
    org: Org,
    table: pa.Table,
    paths: Sequence[str | None],
    columns: Sequence[list[dict[str, Any]]],
    picked: np.ndarray,
) -> None:
    """Set the currency of each amount cell of a run's detail rows: the record's own currency
    for the report object's money fields, the corporate one for fields reached through a
    lookup (the report converts them). ``picked`` are the rows' positions among live rows."""
    if not org.multi_currency:
        return
    codes: list[Any] = [CORPORATE_CURRENCY] * len(picked)
    if CURRENCY_FIELD.name in table.column_names:
        live = pc.indices_nonzero(pc.invert(pc.fill_null(table["IsDeleted"], False)))
        rows = live.take(pa.array(picked, pa.int64()))
        codes = table[CURRENCY_FIELD.name].take(rows).to_pylist()
    for path, cells in zip(paths, columns, strict=True):
        own = path is not None and "." not in path
        for n, cell in enumerate(cells):
            value = cell.get("value")
            if isinstance(value, dict) and "currency" in value:
                value["currency"] = codes[n] if own else CORPORATE_CURRENCY

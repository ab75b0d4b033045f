"""JSON bytes as Salesforce's Java stack writes them: Jackson pretty-printing and Java doubles."""

from __future__ import annotations

import json
import math
from decimal import Decimal
from typing import Any


def java_double(value: float) -> str:
    """Format a float like Java's `Double.toString` (`300.0`, `61.217062`, `5.0E7`)."""
    if math.isnan(value) or math.isinf(value):
        return "null"
    if value == 0:
        return "0.0"
    if 1e-3 <= abs(value) < 1e7:
        text = repr(float(value))
        return text if "." in text else text + ".0"
    # Outside [1e-3, 1e7) Java switches to computerised scientific notation: d.dddE±n.
    sign, digit_tuple, exponent = Decimal(repr(float(value))).as_tuple()
    digits = "".join(map(str, digit_tuple)).rstrip("0") or "0"
    scientific = int(exponent) + len(digit_tuple) - 1
    return f"{'-' if sign else ''}{digits[0]}.{digits[1:] or '0'}E{scientific}"


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return java_double(value)
    return json.dumps(value, ensure_ascii=False)


def _pretty(value: Any, depth: int, out: list[str]) -> None:
    # Jackson's default printer indents by object depth only; arrays stay on the line: `[ {`.
    if isinstance(value, dict):
        if not value:
            out.append("{ }")
            return
        out.append("{\n")
        pad = "  " * (depth + 1)
        for position, (key, item) in enumerate(value.items()):
            out.append(f"{pad}{json.dumps(key, ensure_ascii=False)} : ")
            _pretty(item, depth + 1, out)
            out.append(",\n" if position < len(value) - 1 else "\n")
        out.append("  " * depth + "}")
    elif isinstance(value, list):
        if not value:
            out.append("[ ]")
            return
        out.append("[ ")
        for position, item in enumerate(value):
            _pretty(item, depth, out)
            if position < len(value) - 1:
                out.append(", ")
        out.append(" ]")
    else:
        out.append(_scalar(value))


def pretty(value: Any) -> bytes:
    """Jackson-style pretty JSON (`"key" : value`, two-space indent), as query responses use."""
    out: list[str] = []
    _pretty(value, 0, out)
    return "".join(out).encode("utf-8")


def _compact(value: Any, out: list[str]) -> None:
    if isinstance(value, dict):
        out.append("{")
        for position, (key, item) in enumerate(value.items()):
            if position:
                out.append(",")
            out.append(json.dumps(key, ensure_ascii=False) + ":")
            _compact(item, out)
        out.append("}")
    elif isinstance(value, list):
        out.append("[")
        for position, item in enumerate(value):
            if position:
                out.append(",")
            _compact(item, out)
        out.append("]")
    else:
        out.append(_scalar(value))


def compact(value: Any) -> bytes:
    """Compact JSON with Java number formatting, as describe and OAuth responses use."""
    out: list[str] = []
    _compact(value, out)
    return "".join(out).encode("utf-8")

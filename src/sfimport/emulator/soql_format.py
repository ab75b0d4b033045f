"""SOQL `FORMAT()`: a number, currency, percent, date, time or datetime value as the querying
user sees it in the UI (their locale and time zone), applied to already rendered JSON values.

The demo users are en_US in America/Los_Angeles and the org's currency is USD, so values come out
as `$44,000.00`, `1,234`, `12.50%`, `12/28/2015`, `3:31 PM` and `4/10/2025, 3:31 PM` (the
datetime shape Salesforce's documentation shows for current releases). Other types are returned
as they are.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

#: The demo users' time zone (User.TimeZoneSidKey), in which FORMAT() shows datetimes.
DEFAULT_TIME_ZONE = "America/Los_Angeles"
_NUMBER_TYPES = frozenset({"int", "double", "currency", "percent"})


def _grouped(value: float, scale: int) -> str:
    return f"{abs(value):,.{scale}f}"


def _clock(moment: time | datetime) -> str:
    hour = moment.hour % 12 or 12
    return f"{hour}:{moment.minute:02d} {'AM' if moment.hour < 12 else 'PM'}"


def _us_date(day: date) -> str:
    return f"{day.month}/{day.day}/{day.year}"


def format_value(value: Any, field_type: str, scale: int, time_zone: str) -> Any:
    """`value` (as the REST API renders it) formatted for an en_US user in `time_zone`."""
    if value is None or isinstance(value, bool):
        return value
    if field_type in _NUMBER_TYPES and isinstance(value, int | float):
        sign = "-" if value < 0 else ""
        if field_type == "currency":
            return f"{sign}${_grouped(value, scale or 2)}"
        if field_type == "percent":
            return f"{sign}{_grouped(value, scale)}%"
        if field_type == "int":
            return f"{sign}{_grouped(value, 0)}"
        return f"{sign}{_grouped(value, scale)}"
    if not isinstance(value, str):
        return value
    if field_type == "date":
        return _us_date(date.fromisoformat(value[:10]))
    if field_type == "datetime":
        moment = datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%f%z")
        local = moment.astimezone(ZoneInfo(time_zone))
        return f"{_us_date(local.date())}, {_clock(local)}"
    if field_type == "time":
        return _clock(time.fromisoformat(value.removesuffix("Z")))
    return value

"""Schedule expressions: intervals, cron, and a clear refusal of anything else (empty included)."""

from datetime import UTC, datetime, timedelta

import pytest

from sfimport.errors import UsageError
from sfimport.extract.schedule import next_run

NOW = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)


def test_intervals_and_cron_give_the_next_run() -> None:
    assert next_run(" 1h ", NOW) == NOW + timedelta(hours=1)
    assert next_run("30m", NOW) == NOW + timedelta(minutes=30)
    assert next_run("0 6 * * *", NOW) == datetime(2026, 1, 6, 6, 0, tzinfo=UTC)


@pytest.mark.parametrize("every", ["", "   ", "often", "0h"])
def test_an_empty_or_malformed_schedule_is_refused_with_the_forms_to_use(every: str) -> None:
    with pytest.raises(UsageError) as refused:
        next_run(every, NOW)
    assert "1h" in refused.value.message or "positive" in refused.value.message

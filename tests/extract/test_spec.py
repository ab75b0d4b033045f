"""Import spec files: round trip, and errors that say where."""

from datetime import date
from pathlib import Path

import pytest

from sfimport.errors import UsageError
from sfimport.extract.spec import ImportSpec, ObjectChoice, parse_start_date


def _spec() -> ImportSpec:
    return ImportSpec(
        connection="acme",
        folder="Sales",
        start_date=date(2024, 1, 1),
        objects=(ObjectChoice("Lead"), ObjectChoice("Contact", ("Id", "Email"))),
        reports=("Pipeline by Stage",),
        conceal={"Contact": None, "Lead": ("Email", "Phone")},
        budget_percent=50.0,
    )


def test_spec_round_trips_through_toml() -> None:
    spec = _spec()
    assert ImportSpec.from_toml(spec.to_toml()) == spec


def test_spec_file_is_read_from_a_path(tmp_path: Path) -> None:
    path = tmp_path / "import.toml"
    path.write_text(_spec().to_toml(), encoding="utf-8")
    assert ImportSpec.from_toml(path).objects[1].fields == ("Id", "Email")


def test_malformed_toml_names_the_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('connection = "acme"\nfolder = \n', encoding="utf-8")
    with pytest.raises(UsageError) as info:
        ImportSpec.from_toml(path)
    assert str(path) in info.value.message
    assert "line 2" in info.value.message


def test_unknown_key_is_reported_with_its_name() -> None:
    with pytest.raises(UsageError, match=r"unknown key.*colour"):
        ImportSpec.from_toml('connection = "a"\nfolder = "f"\ncolour = 1\nreports = ["r"]\n')


def test_bad_start_date_says_how_to_write_it() -> None:
    with pytest.raises(UsageError, match="YYYY-MM-DD"):
        ImportSpec.from_toml('connection = "a"\nfolder = "f"\nstart_date = "31/01/2024"\n')
    with pytest.raises(UsageError, match="YYYY-MM-DD"):
        parse_start_date("2024-13-01")
    assert parse_start_date(" 2024-02-29 ") == date(2024, 2, 29)


def test_an_empty_selection_is_refused() -> None:
    with pytest.raises(UsageError, match="at least one object or report"):
        ImportSpec.from_toml('connection = "a"\nfolder = "f"\n')


def test_objects_chosen_twice_are_refused() -> None:
    with pytest.raises(UsageError, match="chosen twice: lead"):
        ImportSpec(connection="a", folder="f", objects=(ObjectChoice("Lead"), ObjectChoice("lead")))


def test_budget_outside_percent_range_is_refused() -> None:
    with pytest.raises(UsageError, match="between 0 and 100"):
        ImportSpec(connection="a", folder="f", reports=("r",), budget_percent=150)


def test_object_entry_error_points_at_its_index() -> None:
    with pytest.raises(UsageError, match=r"objects\[1\]"):
        ImportSpec.from_toml('connection = "a"\nfolder = "f"\nobjects = ["Lead", {fields = []}]\n')

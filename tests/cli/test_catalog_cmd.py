"""`objects`, `reports` and `fields` against a stand-in Workspace."""

from __future__ import annotations

import json

from tests.cli.conftest import Invoke


def test_objects_search_finds_lead_by_lowercase_text(invoke: Invoke) -> None:
    result = invoke(["objects", "prod", "--search", "lead"])
    assert result.exit_code == 0
    lines = result.stdout.strip().splitlines()
    assert lines[0] == "Object\tLabel\tCustom\tFields"
    assert [line.split("\t")[0] for line in lines[1:]] == ["Lead"]


def test_objects_json_lists_entries(invoke: Invoke) -> None:
    result = invoke(["objects", "prod", "--json"])
    assert result.exit_code == 0
    body = json.loads(result.stdout)
    assert body["connection"] == "prod"
    assert {o["name"] for o in body["objects"]} == {"Lead", "Account", "Contact", "Invoice__c"}


def test_objects_with_no_match_says_so(invoke: Invoke) -> None:
    result = invoke(["objects", "prod", "-s", "zzz"])
    assert result.exit_code == 0
    assert result.stdout.strip() == "No objects match."


def test_reports_show_id_name_folder_and_format(invoke: Invoke) -> None:
    result = invoke(["reports", "prod"])
    assert result.exit_code == 0
    assert "00O000000000001AAA\tLeads by Source\tSales\tSUMMARY" in result.stdout
    body = json.loads(invoke(["reports", "prod", "--json"]).stdout)
    assert body["reports"][0]["folder"] == "Sales"


def test_fields_of_an_unknown_object_exit_2(invoke: Invoke) -> None:
    result = invoke(["fields", "prod", "Nope__c"])
    assert result.exit_code == 2
    assert "Error: There is no object 'Nope__c' in 'prod'." in result.stderr


def test_fields_list_names_and_types(invoke: Invoke) -> None:
    result = invoke(["fields", "prod", "Lead", "--json"])
    assert result.exit_code == 0
    fields = json.loads(result.stdout)["fields"]
    assert len(fields) == 30
    assert [(f["name"], f["sf_type"]) for f in fields[:3]] == [
        ("Id", "id"),
        ("Name", "string"),
        ("Email", "email"),
    ]

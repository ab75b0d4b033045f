"""The wizard: Select data (search, directory, start date), Obfuscate data, Review, Import data."""

from __future__ import annotations

from fastapi.testclient import TestClient

from sfimport.web.field_counts import FieldCounts
from tests.fakes.services import FakeServices
from tests.web.conftest import connect, csrf_of

SELECT = "/import/Sales org/select"


def test_typing_lead_finds_lead_with_its_field_count(client: TestClient) -> None:
    connect(client)
    page = client.get(SELECT, params={"q": "lead"}).text
    assert 'value="Lead"' in page
    assert 'value="Account"' not in page
    assert 'class="field-count">30</span> fields' in page  # Lead's field count, described
    assert '<span class="record-count">250 records</span>' in page  # Salesforce's count
    assert "Leads by Source" in page
    # Objects and reports in tabs, each with how many the list holds.
    assert 'data-count="objects">1</span>' in page
    assert 'data-count="reports">1</span>' in page


def test_the_whole_list_describes_nothing_and_says_why_counts_are_missing(
    client: TestClient, workspace: FakeServices
) -> None:
    connect(client)
    page = client.get(SELECT).text
    assert workspace.described == []
    assert page.count('title="Not counted yet') == 4


def test_counts_described_once_show_on_the_whole_list_too(
    client: TestClient, workspace: FakeServices
) -> None:
    connect(client)
    client.get(SELECT, params={"q": "lead"})
    client.get(SELECT, params={"q": "lead"})
    page = client.get(SELECT).text
    assert workspace.described == ["Lead"]  # one describe, remembered
    assert 'class="field-count">30</span>' in page
    assert page.count('title="Not counted yet') == 3


def test_a_search_that_leaves_many_objects_describes_none(
    client: TestClient, workspace: FakeServices
) -> None:
    connect(client)
    client.app.state.field_counts = FieldCounts(limit=2)  # type: ignore[attr-defined]
    client.get(SELECT, params={"q": "c"})  # Account, Contact, Invoice__c
    assert workspace.described == []
    client.get(SELECT, params={"q": "contact"})
    assert workspace.described == ["Contact"]


def test_counts_are_forgotten_when_the_connection_is_deleted(
    client: TestClient, workspace: FakeServices
) -> None:
    connect(client)
    client.get(SELECT, params={"q": "lead"})
    token = csrf_of(client, "/connections/Sales org/delete")
    client.post("/connections/Sales org/delete", data={"csrf_token": token})
    connect(client)
    client.get(SELECT, params={"q": "lead"})
    assert workspace.described == ["Lead", "Lead"]


def test_search_keeps_choices_made_before_the_search(client: TestClient) -> None:
    connect(client)
    token = csrf_of(client, SELECT)
    r = client.post(
        SELECT,
        data={
            "csrf_token": token,
            "shown_object": ["Account", "Lead"],
            "object": "Account",
            "q": "lead",
            "search": "1",
        },
        follow_redirects=False,
    )
    assert r.headers["location"].endswith("select?q=lead")
    client.post(
        SELECT,
        data={
            "csrf_token": token,
            "shown_object": "Lead",
            "object": "Lead",
            "q": "lead",
            "search": "1",
        },
    )
    page = client.get(SELECT).text
    assert '<li data-key="object:Account">Account</li>' in page
    assert '<li data-key="object:Lead">Lead</li>' in page
    assert 'id="selected-count">2</span>' in page


def test_next_without_a_directory_explains_what_is_missing(client: TestClient) -> None:
    connect(client)
    token = csrf_of(client, SELECT)
    page = client.post(SELECT, data={"csrf_token": token, "object": "Lead"})
    assert page.status_code == 400
    assert "No directory is chosen." in page.text
    assert "Pick an existing folder in Directory or type a new folder name." in page.text


def test_a_malformed_start_date_is_refused_with_the_expected_format(client: TestClient) -> None:
    connect(client)
    token = csrf_of(client, SELECT)
    page = client.post(
        SELECT,
        data={
            "csrf_token": token,
            "object": "Lead",
            "new_folder": "Sales",
            "start_date": "31/01/2024",
        },
    )
    assert page.status_code == 400
    assert "YYYY-MM-DD" in page.text


def test_next_without_any_data_set_asks_for_one(client: TestClient) -> None:
    connect(client)
    token = csrf_of(client, SELECT)
    page = client.post(SELECT, data={"csrf_token": token, "new_folder": "Sales"})
    assert "Nothing is selected yet." in page.text
    assert "Tick at least one object or report" in page.text


def test_nothing_selected_and_no_directory_names_the_selection_first(client: TestClient) -> None:
    connect(client)
    token = csrf_of(client, SELECT)
    page = client.post(SELECT, data={"csrf_token": token})
    assert page.status_code == 400
    assert "Nothing is selected yet." in page.text
    assert "No directory is chosen." not in page.text


def test_the_directory_offers_existing_folders_and_defaults_to_the_first(
    client: TestClient, workspace: FakeServices
) -> None:
    connect(client)
    workspace.list_folders = lambda: ["Marketing", "Sales"]  # type: ignore[method-assign]
    page = client.get(SELECT).text
    assert 'id="folder" name="folder" list="folder-list" value="Marketing"' in page
    assert '<option value="Marketing"></option><option value="Sales"></option>' in page
    # A typed name is a new folder: one field, no "New folder…" choice.
    token = csrf_of(client, SELECT)
    client.post(
        SELECT,
        data={"csrf_token": token, "shown_object": "Lead", "object": "Lead", "folder": "Ops"},
    )
    assert 'list="folder-list" value="Ops"' in client.get(SELECT).text


def test_cancel_forgets_the_choices_and_leaves_the_wizard(client: TestClient) -> None:
    connect(client)
    token = csrf_of(client, SELECT)
    client.post(
        SELECT,
        data={"csrf_token": token, "shown_object": "Lead", "object": "Lead", "folder": "Ops"},
    )
    r = client.post("/import/Sales org/cancel", data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/data"
    assert "Import cancelled" in client.get("/data").text
    page = client.get(SELECT).text
    assert 'data-key="object:Lead"' not in page
    assert 'id="selected-count">0</span>' in page


def _select(client: TestClient, token: str) -> None:
    r = client.post(
        SELECT,
        data={
            "csrf_token": token,
            "shown_object": ["Account", "Contact", "Lead", "Invoice__c"],
            "object": ["Lead", "Contact"],
            "shown_report": "Leads by Source",
            "report": "Leads by Source",
            "folder": "__new__",
            "new_folder": "Sales",
            "start_date": "2024-01-01",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert r.headers["location"] == "/import/Sales%20org/obfuscate"


def test_obfuscate_data_shows_columns_to_conceal_and_a_sample(client: TestClient) -> None:
    connect(client)
    _select(client, csrf_of(client, SELECT))
    page = client.get("/import/Sales org/obfuscate").text
    assert 'name="conceal" value="Contact"' in page
    assert "<code>Email</code>" in page
    assert "Emai 3f9a2c1b7d00" in page  # how a concealed value looks


def test_review_lists_rows_fields_concealed_columns_and_api_calls(
    client: TestClient, workspace: FakeServices
) -> None:
    connect(client)
    token = csrf_of(client, SELECT)
    _select(client, token)
    r = client.post("/import/Sales org/obfuscate", data={"csrf_token": token, "conceal": "Contact"})
    assert r.url.path == "/import/Sales org/review"
    page = r.text
    assert "Contact" in page and "<code>Phone</code>" in page
    assert "about <strong>7</strong> API calls" in page
    assert "<strong>14,880</strong> the org has left today" in page
    assert "2024-01-01" in page
    assert "does not apply to Leads by Source" in page


def test_import_data_starts_the_reviewed_plan_and_shows_the_run(
    client: TestClient, workspace: FakeServices
) -> None:
    connect(client)
    token = csrf_of(client, SELECT)
    _select(client, token)
    client.post("/import/Sales org/obfuscate", data={"csrf_token": token, "conceal": "Contact"})
    page = client.post("/import/Sales org/start", data={"csrf_token": token})
    assert page.url.path.startswith("/runs/")
    plan = workspace.imports[0]
    assert plan.spec.folder == "Sales"
    assert [o.name for o in plan.spec.objects] == ["Lead", "Contact"]
    assert plan.spec.reports == ("Leads by Source",)
    assert dict(plan.spec.conceal) == {"Contact": None}
    assert "Import progress" in page.text


def test_the_spec_file_reproduces_the_wizard_choices(client: TestClient) -> None:
    from sfimport.extract.spec import ImportSpec

    connect(client)
    _select(client, csrf_of(client, SELECT))
    text = client.get("/import/Sales org/spec.toml").text
    spec = ImportSpec.from_toml(text)
    assert spec.folder == "Sales" and spec.reports == ("Leads by Source",)


def test_review_before_select_data_goes_back_to_select_data(client: TestClient) -> None:
    connect(client)
    assert client.get("/import/Sales org/review").url.path == SELECT


def test_objects_stay_selectable_when_reports_cannot_be_listed(
    client: TestClient, workspace: FakeServices
) -> None:
    from sfimport.errors import InsufficientAccess

    connect(client)

    def no_reports(connection: str, search: str | None = None) -> list[object]:
        raise InsufficientAccess("Run Reports is missing for this user.")

    workspace.list_reports = no_reports  # type: ignore[assignment,method-assign]
    page = client.get(SELECT)
    assert page.status_code == 200
    assert 'value="Lead"' in page.text
    assert "Reports cannot be listed" in page.text and "Run Reports is missing" in page.text

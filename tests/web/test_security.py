"""Security of the pages: cookies, CSRF, escaping, headers, OAuth state, no tokens shown."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.fakes.services import SECRET_TOKEN, FakeServices
from tests.web.conftest import connect, csrf_of


def test_session_cookie_is_signed_http_only_and_same_site(client: TestClient) -> None:
    cookie = client.get("/data").headers["set-cookie"]
    assert cookie.startswith("sfimport_session=")
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    value = cookie.split(";")[0].split("=", 1)[1]
    assert "." in value  # itsdangerous signature


def test_a_tampered_session_cookie_starts_a_new_session(client: TestClient) -> None:
    client.get("/data")
    client.cookies.clear()
    client.cookies.set("sfimport_session", "forged.value")
    assert "sfimport_session=" in client.get("/data").headers["set-cookie"]


def test_a_form_post_without_the_csrf_token_is_refused(
    client: TestClient, workspace: FakeServices
) -> None:
    client.get("/connections/new")
    response = client.post("/connections/new", data={"name": "x"}, follow_redirects=False)
    assert response.status_code == 403
    assert "expired" in response.text
    assert workspace.pending == {}


def test_a_form_post_with_another_sessions_token_is_refused(client: TestClient) -> None:
    token = csrf_of(client)
    client.cookies.clear()
    response = client.post(
        "/connections/new", data={"name": "x", "csrf_token": token}, follow_redirects=False
    )
    assert response.status_code == 403


def test_every_form_on_every_page_carries_a_csrf_token(
    client: TestClient, workspace: FakeServices
) -> None:
    connect(client)
    pages = [
        "/connections/new",
        "/connections/Sales org",
        "/connections/Sales org/delete",
        "/import/Sales org/select",
        "/sql",
    ]
    for path in pages:
        html = client.get(path).text
        posts = html.count('method="post"')
        assert posts > 0, path
        assert html.count('name="csrf_token"') == posts, path


def test_record_values_from_salesforce_show_as_text_not_markup(
    client: TestClient, workspace: FakeServices
) -> None:
    workspace.record_value = "<script>alert(1)</script>"
    connect(client)
    token = csrf_of(client, "/import/Sales org/select")
    client.post(
        "/import/Sales org/select",
        data={"csrf_token": token, "object": "Lead", "new_folder": "Sales"},
    )
    client.post("/import/Sales org/start", data={"csrf_token": token})
    page = client.get("/mydata/Sales.Lead").text
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_connection_names_are_escaped_too(client: TestClient) -> None:
    connect(client, name='<img src=x onerror="alert(1)">')
    page = client.get("/connections").text
    assert "<img src=x" not in page
    assert "&lt;img src=x" in page


def test_pages_send_a_content_security_policy_and_deny_framing(client: TestClient) -> None:
    headers = client.get("/data").headers
    assert "script-src 'self'" in headers["content-security-policy"]
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["cache-control"] == "no-store"


def test_pages_contain_no_inline_script(client: TestClient) -> None:
    connect(client)
    for path in ("/data", "/connections/Sales org", "/import/Sales org/select"):
        html = client.get(path).text
        assert "<script>" not in html and "onclick" not in html, path


def test_an_oauth_callback_with_a_state_this_browser_did_not_start_is_refused(
    client: TestClient, workspace: FakeServices
) -> None:
    workspace.begin_authorization("Stolen")  # started elsewhere, e.g. an attacker's browser
    response = client.get("/oauth/callback?code=abc&state=state1")
    assert response.status_code == 403
    assert "did not start here" in response.text
    assert workspace.connections == {}


def test_an_oauth_state_cannot_be_used_twice(client: TestClient) -> None:
    token = csrf_of(client)
    r = client.post(
        "/connections/new", data={"csrf_token": token, "name": "A"}, follow_redirects=False
    )
    state = r.headers["location"].split("state=")[1]
    assert client.get(f"/oauth/callback?code=c&state={state}").status_code == 200
    assert client.get(f"/oauth/callback?code=c&state={state}").status_code == 403


def test_no_page_or_api_answer_contains_a_token(
    client: TestClient, workspace: FakeServices
) -> None:
    connect(client)
    for path in (
        "/connections",
        "/connections/Sales org?connected=1",
        "/api/connections",
        "/api/connections/Sales org",
    ):
        body = client.get(path).text
        assert SECRET_TOKEN not in body
        assert "access_token" not in body and "refresh_token" not in body


def test_api_writes_from_another_origin_are_refused(client: TestClient) -> None:
    response = client.post(
        "/api/connections/authorize",
        json={"name": "x"},
        headers={"Origin": "https://evil.example"},
    )
    assert response.status_code == 403


def test_api_writes_must_be_json(client: TestClient) -> None:
    response = client.post("/api/connections/authorize", data={"name": "x"})
    assert response.status_code == 415


def test_requests_for_another_host_name_are_refused(client: TestClient) -> None:
    # A page on a domain that re-resolves to 127.0.0.1 (DNS rebinding) sends its own Host.
    refused = client.post(
        "/api/query",
        json={"sql": "SELECT 1"},
        headers={"Host": "attacker.example", "Origin": "http://attacker.example"},
    )
    assert refused.status_code == 400
    assert client.get("/data", headers={"Host": "localhost:8000"}).status_code == 200


def test_forms_may_only_post_to_the_app_itself_or_salesforces_login(client: TestClient) -> None:
    policy = client.get("/data").headers["content-security-policy"]
    form_action = next(p.strip() for p in policy.split(";") if "form-action" in p)
    # Connect and Re-authorise redirect their form to Salesforce's login (https, any My
    # Domain); no plain-http host other than a configured login host, no wildcard.
    sources = form_action.split()[1:]
    assert sources[:2] == ["'self'", "https:"]
    assert all(s.startswith("http://") for s in sources[2:]) and "*" not in form_action


def test_a_wrong_method_names_every_allowed_one(client: TestClient) -> None:
    page = client.put("/sql")
    assert page.status_code == 405
    assert page.headers["allow"] == "GET, POST"  # the page and its form share the path
    api = client.delete("/api/query")
    assert api.status_code == 405
    assert api.headers["allow"] == "POST"


def test_api_actions_without_a_body_need_no_content_type(
    client: TestClient, workspace: FakeServices
) -> None:
    connect(client)
    assert client.post("/api/connections/Sales org/test").status_code == 200
    workspace.schedules["Sales.Lead"] = "1d"
    assert client.delete("/api/schedules/Sales.Lead").status_code == 200
    assert "Sales.Lead" not in workspace.schedules
    # An empty cross-site form still sends a form Content-Type: refused.
    form = client.post(
        "/api/connections/Sales org/test",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert form.status_code == 415

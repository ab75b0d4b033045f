"""The org's Setup side as plain server-rendered pages: what the guide asks a person to do in
Salesforce, done by clicking, on the same org state the API serves.

The pages sit at the paths real orgs use in Lightning Experience, so a link the product builds
from a connection's instance URL opens the matching page here and in a real org:

- `/lightning/settings/personal/AdvancedUserDetails/home`: the logged-in user's OAuth Connected
  Apps (use count, last used) with Revoke;
- `/lightning/setup/ConnectedAppsUsage/home`: Connected Apps OAuth Usage, Block / Unblock and
  each user's Revoke;
- `/lightning/setup/ManageUsers/home` and `.../ManageUsers/{user_id}/view`: a user's permission
  set assignments and the four permissions the guide names, each switched on or off;
- `/lightning/setup/ObjectManager/home` and
  `.../ObjectManager/{Object}/FieldsAndRelationships/view`: field-level security per user,
  deleting (and undeleting) a custom field;
- `/lightning/setup/CompanyProfileInfo/home`: the org's API requests today, with a way to use
  up the daily allowance.

Logging in on the emulator's login page (the OAuth one included) opens a Setup session for that
user in the browser, as a real org's login does. Forms post back to the page; a post whose
Origin is another site is refused (no cross-site changes to the demo org).
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote, urlsplit
from weakref import WeakKeyDictionary

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from sfimport.emulator import faults as model
from sfimport.emulator.org import Org, User
from sfimport.emulator.services import services_for

PERSONAL_CONNECTIONS = "/lightning/settings/personal/AdvancedUserDetails/home"
OAUTH_USAGE = "/lightning/setup/ConnectedAppsUsage/home"
USERS = "/lightning/setup/ManageUsers/home"
OBJECTS = "/lightning/setup/ObjectManager/home"
COMPANY = "/lightning/setup/CompanyProfileInfo/home"
LOGIN = "/setup/login"
LOGOUT = "/setup/logout"

#: The four permissions the product's guide names, in its order, with Setup's labels.
GUIDE_PERMISSIONS: tuple[tuple[str, str], ...] = (
    ("PermissionsApiEnabled", "API Enabled"),
    ("PermissionsRunReports", "Run Reports"),
    ("PermissionsViewRoles", "View Roles and Role Hierarchy"),
    ("PermissionsViewSetup", "View Setup and Configuration"),
)
_PERMISSION_LABELS = dict(GUIDE_PERMISSIONS)

_TEMPLATES = jinja2.Environment(
    loader=jinja2.PackageLoader("sfimport.emulator", "templates"),
    autoescape=jinja2.select_autoescape(["html"]),
)
_NO_CACHE = {"Cache-Control": "no-cache,must-revalidate,max-age=0,no-store,private"}

# Setup sessions per org: cookie value -> user id.
_SESSIONS: WeakKeyDictionary[Org, dict[str, str]] = WeakKeyDictionary()


def _cookie_name(org: Org) -> str:
    # Cookies ignore ports: two emulators on one host keep apart by org id.
    return f"sid_{org.org_id}"


def start_setup_session(org: Org, user: User, response: Response) -> None:
    """Log `user` in to the Setup pages in this browser (a cookie, as a real login sets)."""
    token = secrets.token_urlsafe(24)
    _SESSIONS.setdefault(org, {})[token] = user.id
    response.set_cookie(_cookie_name(org), token, httponly=True, samesite="lax", path="/")


def _session_user(org: Org, request: Request) -> User | None:
    token = request.cookies.get(_cookie_name(org))
    user_id = _SESSIONS.get(org, {}).get(token or "")
    return org.users.get(user_id) if user_id else None


def _page(name: str, status: int = 200, **context: Any) -> HTMLResponse:
    html = _TEMPLATES.get_template(name).render(**context)
    return HTMLResponse(html, status_code=status, headers=_NO_CACHE)


def _back(path: str, notice: str) -> Response:
    separator = "&" if "?" in path else "?"
    return RedirectResponse(f"{path}{separator}notice={quote(notice)}", status_code=303)


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        # Browsers send Origin on every form post; a client without one is not a web page.
        return origin is None
    return urlsplit(origin).netloc == request.headers.get("host", "")


def _usage(org: Org, user: User) -> dict[str, Any] | None:
    """The user's approval of the Connected App, if any: scopes, use count, last used."""
    grants = [g for g in org.refresh_tokens.values() if g.user_id == user.id]
    if not grants:
        return None
    used = [a.last_used for a in org.access_tokens.values() if a.user_id == user.id]
    scopes = sorted({scope for grant in grants for scope in grant.scopes})
    return {
        "app": org.app.name,
        "scopes": " ".join(scopes),
        "approvals": len(grants),
        "use_count": org.calls_by_user.get(user.username, 0),
        "last_used": max(used).strftime("%Y-%m-%d %H:%M UTC") if used else "",
    }


def _permission_rows(org: Org, user: User) -> list[dict[str, Any]]:
    held = org.permissions(user)
    return [
        {"name": name, "label": label, "enabled": name in held} for name, label in GUIDE_PERMISSIONS
    ]


def _data_objects(org: Org) -> list[Any]:
    return sorted(
        (spec for name, spec in org.objects.items() if spec.name in org.tables and spec.fields),
        key=lambda spec: spec.label,
    )


Handler = Callable[[Request, User], Awaitable[Response]]


def setup_routes(org: Org) -> list[BaseRoute]:
    """The front page, the Setup login and the Setup pages."""
    services = services_for(org)

    def render(
        request: Request, name: str, user: User | None, status: int = 200, **context: Any
    ) -> HTMLResponse:
        return _page(
            name,
            status,
            org_name=org.name,
            org_id=org.org_id,
            is_sandbox=org.is_sandbox,
            current=user,
            notice=request.query_params.get("notice"),
            here=request.url.path,
            links={
                "connections": PERSONAL_CONNECTIONS,
                "oauth_usage": OAUTH_USAGE,
                "users": USERS,
                "objects": OBJECTS,
                "company": COMPANY,
                "login": LOGIN,
                "logout": LOGOUT,
            },
            **context,
        )

    def logged_in(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            user = _session_user(org, request)
            if user is None:
                target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                return RedirectResponse(f"{LOGIN}?startURL={quote(target)}", status_code=303)
            if request.method == "POST" and not _same_origin(request):
                return _page("setup_refused.html", status=403, org_name=org.name)
            try:
                return await handler(request, user)
            except model.FaultError as error:
                return _back(request.url.path, f"Not done: {error}")

        return endpoint

    async def front(request: Request) -> Response:
        return render(request, "setup_home.html", _session_user(org, request))

    async def login(request: Request) -> Response:
        start = request.query_params.get("startURL") or "/"
        error = None
        if request.method == "POST":
            form = await request.form()
            start = str(form.get("startURL") or "/")
            user = org.login(str(form.get("username", "")), str(form.get("pw", "")))
            if user is not None and _same_origin(request):
                if not start.startswith("/") or start.startswith("//"):
                    start = "/"
                response = RedirectResponse(start, status_code=303)
                start_setup_session(org, user, response)
                return response
            error = "Please check your username and password."
        return render(
            request,
            "setup_login.html",
            None,
            start=start,
            error=error,
            demo_logins=org.demo_logins,
        )

    async def logout(request: Request) -> Response:
        token = request.cookies.get(_cookie_name(org))
        _SESSIONS.get(org, {}).pop(token or "", None)
        response = RedirectResponse("/", status_code=303)
        response.delete_cookie(_cookie_name(org), path="/")
        return response

    async def personal(request: Request, user: User) -> Response:
        if request.method == "POST":
            revoked = model.revoke_user_tokens(org, user)
            return _back(PERSONAL_CONNECTIONS, f"Revoked {org.app.name} ({revoked} tokens).")
        usage = _usage(org, user)
        return render(request, "setup_connections.html", user, usage=usage)

    async def oauth_usage(request: Request, user: User) -> Response:
        if request.method == "POST":
            form = await request.form()
            action = str(form.get("action", ""))
            if action in {"block", "unblock"}:
                revoked = model.block_app(org, services.faults, action == "block")
                if action == "block":
                    notice = f"Blocked {org.app.name}: {revoked} tokens revoked."
                else:
                    notice = f"Unblocked {org.app.name}."
                return _back(OAUTH_USAGE, notice)
            if action == "revoke":
                target = model.user_by_name(org, str(form.get("username", "")))
                revoked = model.revoke_user_tokens(org, target)
                return _back(OAUTH_USAGE, f"Revoked {target.username} ({revoked} tokens).")
            return _back(OAUTH_USAGE, "Not done: unknown action.")
        rows = [
            {"user": u, **usage}
            for u in org.users.values()
            if (usage := _usage(org, u)) is not None
        ]
        return render(
            request,
            "setup_oauth_usage.html",
            user,
            app=org.app,
            blocked=services.faults.app_blocked,
            rows=rows,
        )

    async def users(request: Request, user: User) -> Response:
        people = sorted(
            (u for u in org.users.values() if u.active), key=lambda u: (u.last_name, u.first_name)
        )
        return render(
            request,
            "setup_users.html",
            user,
            people=people,
            profiles={v: k for k, v in org.profiles.items()},
            permission_rows={u.id: _permission_rows(org, u) for u in people},
        )

    async def user_detail(request: Request, user: User) -> Response:
        target = org.users.get(request.path_params["user_id"])
        if target is None:
            return render(request, "setup_missing.html", user, what="user", status=404)
        here = request.url.path
        if request.method == "POST":
            form = await request.form()
            name = str(form.get("permission", ""))
            if name not in _PERMISSION_LABELS:
                return _back(here, "Not done: unknown permission.")
            enabled = form.get("enabled") == "true"
            model.set_user_permission(org, target, name, enabled)
            verb = "Enabled" if enabled else "Removed"
            return _back(here, f"{verb} {_PERMISSION_LABELS[name]} for {target.username}.")
        assigned = [org.permission_sets[ps_id] for ps_id in target.permission_set_ids]
        return render(
            request,
            "setup_user.html",
            user,
            target=target,
            profile=next((k for k, v in org.profiles.items() if v == target.profile_id), ""),
            assigned=[
                {
                    "label": ps.label,
                    "owned_by_profile": ps.profile_id is not None,
                    "permissions": [
                        _PERMISSION_LABELS.get(p, p.removeprefix("Permissions"))
                        for p in sorted(ps.permissions)
                    ],
                }
                for ps in assigned
            ],
            rows=_permission_rows(org, target),
            usage=_usage(org, target),
        )

    async def objects(request: Request, user: User) -> Response:
        return render(request, "setup_objects.html", user, specs=_data_objects(org))

    async def fields(request: Request, user: User) -> Response:
        spec = org.objects.get(str(request.path_params["object"]).lower())
        if spec is None or spec not in _data_objects(org):
            return render(request, "setup_missing.html", user, what="object", status=404)
        here = request.url.path
        if request.method == "POST":
            form = await request.form()
            action = str(form.get("action", ""))
            field_name = str(form.get("field", ""))
            if action in {"hide", "show"}:
                target = model.user_by_name(org, str(form.get("username", "")))
                model.hide_field(org, target, spec.name, field_name, action == "hide")
                state = "hidden from" if action == "hide" else "visible to"
                return _back(
                    f"{here}?user={quote(target.id)}",
                    f"{spec.name}.{field_name} is now {state} {target.username}.",
                )
            if action == "delete":
                found = spec.field_named(field_name)
                if found is None or not found.custom:
                    return _back(here, "Not done: only custom fields can be deleted.")
                services.removed_fields.remove(org, spec.name, found.name)
                return _back(here, f"Deleted {spec.name}.{found.name}.")
            if action == "undelete":
                services.removed_fields.restore(org, spec.name, field_name)
                return _back(here, f"Undeleted {spec.name}.{field_name}.")
            return _back(here, "Not done: unknown action.")
        chosen = org.users.get(request.query_params.get("user", "")) or user
        hidden = chosen.hidden_fields.get(spec.name, frozenset())
        people = sorted(
            (u for u in org.users.values() if u.active), key=lambda u: (u.last_name, u.first_name)
        )
        return render(
            request,
            "setup_fields.html",
            user,
            spec=spec,
            chosen=chosen,
            people=people,
            hidden=hidden,
            deleted=[f for _, f in services.removed_fields.by_object.get(spec.name, [])],
        )

    async def company(request: Request, user: User) -> Response:
        if request.method == "POST":
            form = await request.form()
            action = str(form.get("action", ""))
            if action == "use_up":
                org.set_limits(None, 0)
                return _back(COMPANY, "The daily API allowance is used up.")
            if action == "reset":
                org.set_limits(None, org.api.maximum)
                return _back(COMPANY, "API usage reset to 0.")
            if action == "set_remaining":
                try:
                    remaining = int(str(form.get("remaining", "")))
                except ValueError:
                    return _back(COMPANY, "Not done: enter a whole number of requests.")
                org.set_limits(None, max(0, min(remaining, org.api.maximum)))
                return _back(COMPANY, f"{org.api.maximum - org.api.used} requests left today.")
            return _back(COMPANY, "Not done: unknown action.")
        org.api.roll(org.clock.now().date())
        return render(
            request,
            "setup_company.html",
            user,
            used=org.api.used,
            maximum=org.api.maximum,
            remaining=max(0, org.api.maximum - org.api.used),
            by_user=sorted(org.calls_by_user.items()),
        )

    both = ["GET", "POST"]
    return [
        Route("/", front, methods=["GET"]),
        Route(LOGIN, login, methods=both),
        Route(LOGOUT, logout, methods=["GET", "POST"]),
        Route(PERSONAL_CONNECTIONS, logged_in(personal), methods=both),
        Route(OAUTH_USAGE, logged_in(oauth_usage), methods=both),
        Route(USERS, logged_in(users), methods=["GET"]),
        Route("/lightning/setup/ManageUsers/{user_id}/view", logged_in(user_detail), methods=both),
        Route(OBJECTS, logged_in(objects), methods=["GET"]),
        Route(
            "/lightning/setup/ObjectManager/{object}/FieldsAndRelationships/view",
            logged_in(fields),
            methods=both,
        ),
        Route(COMPANY, logged_in(company), methods=both),
    ]

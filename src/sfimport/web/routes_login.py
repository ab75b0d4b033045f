"""The login page: served beyond loopback, a browser exchanges the access token for a session;
in team mode, a user name and password (and Log out ends the session)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from sfimport.web.access import AccessGuard, safe_next
from sfimport.web.dependencies import CsrfChecked, SessionDep, render

router = APIRouter()
forms = APIRouter(dependencies=[CsrfChecked])


def _team(request: Request) -> bool:
    guard: AccessGuard = request.app.state.access
    return guard.team is not None


@router.get("/login", response_class=HTMLResponse, include_in_schema=False, response_model=None)
def login_page(request: Request, next: str = "/data") -> HTMLResponse:
    return render(
        request,
        "login.html",
        title="Log in",
        next=safe_next(next),
        failed=False,
        team=_team(request),
    )


@forms.post("/login", include_in_schema=False, response_model=None)
def log_in(
    request: Request,
    session: SessionDep,
    token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/data",
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
) -> HTMLResponse | RedirectResponse:
    guard: AccessGuard = request.app.state.access
    if guard.team is not None:
        user = guard.team.log_in(username.strip(), password) if username.strip() else None
        if user is None:
            return render(
                request,
                "login.html",
                401,
                title="Log in",
                next=safe_next(next),
                failed=True,
                team=True,
            )
        request.app.state.sessions.rotate(session)  # see below: no session fixation
        session.principal = user.name
        return RedirectResponse(safe_next(next), status_code=303)
    account = guard.authenticate(token) if guard.required else None
    if guard.required and account is None:
        return render(
            request,
            "login.html",
            401,
            title="Log in",
            next=safe_next(next),
            failed=True,
            team=False,
        )
    # A new id for the logged-in session: an id known before login (session fixation) is dead.
    request.app.state.sessions.rotate(session)
    session.principal = account.name if account else "owner"
    return RedirectResponse(safe_next(next), status_code=303)


@forms.post("/logout", include_in_schema=False, response_model=None)
def log_out(request: Request, session: SessionDep) -> RedirectResponse:
    session.principal = None
    request.app.state.sessions.rotate(session)
    return RedirectResponse("/login", status_code=303)

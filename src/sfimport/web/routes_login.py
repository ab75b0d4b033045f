"""The login page: served beyond loopback, a browser exchanges the access token for a session."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from sfimport.web.access import AccessGuard, safe_next
from sfimport.web.dependencies import CsrfChecked, SessionDep, render

router = APIRouter()
forms = APIRouter(dependencies=[CsrfChecked])


@router.get("/login", response_class=HTMLResponse, include_in_schema=False, response_model=None)
def login_page(request: Request, next: str = "/data") -> HTMLResponse:
    return render(request, "login.html", title="Log in", next=safe_next(next), failed=False)


@forms.post("/login", include_in_schema=False, response_model=None)
def log_in(
    request: Request,
    session: SessionDep,
    token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/data",
) -> HTMLResponse | RedirectResponse:
    guard: AccessGuard = request.app.state.access
    account = guard.authenticate(token) if guard.required else None
    if guard.required and account is None:
        return render(request, "login.html", 401, title="Log in", next=safe_next(next), failed=True)
    session.principal = account.name if account else "owner"
    return RedirectResponse(safe_next(next), status_code=303)

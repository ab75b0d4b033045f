"""Team mode's admin page and the users/audit API: users with their roles, API tokens, and the
audit log. Mounted only in team mode; the access middleware lets admins only in."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from sfimport.app.accounts import AccountsService, AuditEntry, User, parse_role
from sfimport.web.access import AccessGuard
from sfimport.web.dependencies import render
from sfimport.web.security import require_same_origin_json

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api", tags=["team"], dependencies=[Depends(require_same_origin_json)])


def _accounts(request: Request) -> AccountsService:
    guard: AccessGuard = request.app.state.access
    assert guard.team is not None  # mounted in team mode only
    return guard.team


def _actor(request: Request) -> str:
    return str(request.state.principal)


AccountsDep = Annotated[AccountsService, Depends(_accounts)]
Json = dict[str, Any]


class NewUser(BaseModel):
    name: str = Field(min_length=1, max_length=120)
    role: str = "viewer"
    password: str = Field(min_length=1, max_length=1024)


class RoleChange(BaseModel):
    role: str


class NewToken(BaseModel):
    label: str = Field(default="script", min_length=1, max_length=120)


def _user_json(user: User) -> Json:
    return {"name": user.name, "role": user.role.value, "created_at": user.created_at.isoformat()}


def _entry_json(entry: AuditEntry) -> Json:
    return {
        "at": entry.at.isoformat(),
        "actor": entry.actor,
        "action": entry.action,
        "target": entry.target,
        "outcome": entry.outcome,
        "detail": entry.detail,
    }


@router.get("/admin", response_class=HTMLResponse, response_model=None)
def admin_page(request: Request, accounts: AccountsDep) -> HTMLResponse:
    return render(
        request,
        "admin.html",
        title="Admin",
        tab="admin",
        users=accounts.list_users(),
        entries=accounts.audit_log(limit=200),
    )


@api.get("/users", summary="Users and their roles")
def list_users(accounts: AccountsDep) -> Json:
    return {"items": [_user_json(u) for u in accounts.list_users()]}


@api.post("/users", status_code=201, summary="Add a user")
def add_user(body: NewUser, request: Request, accounts: AccountsDep) -> Json:
    user = accounts.add_user(body.name, parse_role(body.role), body.password, actor=_actor(request))
    return _user_json(user)


@api.put("/users/{name}/role", summary="Change a user's role")
def set_role(name: str, body: RoleChange, request: Request, accounts: AccountsDep) -> Json:
    return _user_json(accounts.set_role(name, parse_role(body.role), actor=_actor(request)))


# response_model=None: FastAPI 0.115.4 (the floor) reads "-> None" as a body model and refuses
# a 204 at import (found by scripts/check-floors).
@api.delete(
    "/users/{name}",
    status_code=204,
    response_model=None,
    summary="Remove a user and their API tokens",
)
def remove_user(name: str, request: Request, accounts: AccountsDep) -> None:
    accounts.remove_user(name, actor=_actor(request))


@api.post("/users/{name}/tokens", status_code=201, summary="Issue an API token (shown once)")
def issue_token(name: str, body: NewToken, request: Request, accounts: AccountsDep) -> Json:
    return {"token": accounts.issue_token(name, body.label, actor=_actor(request))}


@api.get("/audit", summary="The audit log, newest first")
def audit(
    accounts: AccountsDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    actor: str | None = None,
) -> Json:
    return {"items": [_entry_json(e) for e in accounts.audit_log(limit=limit, actor=actor)]}

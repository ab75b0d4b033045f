"""Serving the web app with uvicorn: a stop (Ctrl-C, SIGTERM) interrupts running queries first.

uvicorn waits for open requests before it stops; a query over My Data may run up to its
deadline, so on a stop signal every running query is cancelled and its request ends at once.
"""

from __future__ import annotations

from types import FrameType

import uvicorn
from fastapi import FastAPI

from sfimport.app.logs import guard_server_handlers, server_log_level
from sfimport.web.queries import QueryGate


class _Server(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, queries: QueryGate) -> None:
        super().__init__(config)
        self.queries = queries

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        self.queries.cancel_all()
        super().handle_exit(sig, frame)


def server_for(app: FastAPI, host: str, port: int) -> uvicorn.Server:
    config = uvicorn.Config(app, host=host, port=port, http="h11", log_level=server_log_level())
    # The config has just set up uvicorn's own handlers: they redact tokens like ours.
    guard_server_handlers()
    return _Server(config, app.state.queries)


def serve_app(app: FastAPI, host: str, port: int) -> None:
    """Serve until stopped; returns once every request has ended."""
    server_for(app, host, port).run()


def access_token_notice(token: str) -> str:
    """What a non-loopback start prints, once: the token is not shown or stored anywhere else."""
    return (
        "Served to the network: log in (or send 'Authorization: Bearer <token>') with this "
        f"access token, shown only now:\n  {token}"
    )

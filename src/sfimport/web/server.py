"""Serving the web app with uvicorn: a stop (Ctrl-C, SIGTERM) is prompt and says so.

On the first stop signal one line says the server is stopping, running queries are cancelled
(a query over My Data may run up to its deadline) and the workspace's runs are asked to stop at
their next page (recorded as interrupted, so they resume later); open connections get a few
seconds to finish; a second Ctrl-C quits at once. The signal is not raised again once uvicorn
has stopped (uvicorn's default), so the caller's clean-up (the demo saving its orgs) runs and
the command exits with status 0.
"""

from __future__ import annotations

import signal
import sys
from types import FrameType

import uvicorn
from fastapi import FastAPI

from sfimport.app.logs import guard_server_handlers, server_log_level
from sfimport.app.workspace import Workspace
from sfimport.web.queries import QueryGate

#: Seconds open requests (a browser's long request, a slow page) get to finish after a stop.
GRACEFUL_SECONDS = 3

STOPPING_LINE = (
    "sfimport: stopping (running imports stop at their next page and can be resumed; "
    "press Ctrl-C again to quit at once)..."
)


class _Server(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, app: FastAPI) -> None:
        super().__init__(config)
        self.app = app

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        # Not uvicorn's own: it records the signal and raises it again after the shutdown,
        # which kills the process on SIGTERM before the caller's clean-up runs.
        if self.should_exit:
            if sig == signal.SIGINT:
                self.force_exit = True
            return
        self.should_exit = True
        print(STOPPING_LINE, file=sys.stderr, flush=True)
        queries: QueryGate = self.app.state.queries
        queries.cancel_all()
        workspace = self.app.state.workspace
        if isinstance(workspace, Workspace):
            # Only sets a flag (safe here); the lifespan's close() then waits for the runs.
            workspace.interrupt_for_shutdown()


def server_for(app: FastAPI, host: str, port: int) -> uvicorn.Server:
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        http="h11",
        log_level=server_log_level(),
        timeout_graceful_shutdown=GRACEFUL_SECONDS,
    )
    # The config has just set up uvicorn's own handlers: they redact tokens like ours.
    guard_server_handlers()
    return _Server(config, app)


def serve_app(app: FastAPI, host: str, port: int) -> None:
    """Serve until stopped (Ctrl-C, SIGTERM); returns once the app has shut down."""
    server_for(app, host, port).run()


def access_token_notice(token: str) -> str:
    """What a non-loopback start prints, once: the token is not shown or stored anywhere else."""
    return (
        "Served to the network: log in (or send 'Authorization: Bearer <token>') with this "
        f"access token, shown only now:\n  {token}"
    )

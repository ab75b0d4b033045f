"""The FastAPI application factory; every route area is registered here."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import HTMLResponse

from sfimport import __version__
from sfimport.settings import Settings


def create_app(settings: Settings) -> FastAPI:
    """Build the web app for one data folder; nothing happens at import time."""
    app = FastAPI(title="sfimport", version=__version__)
    app.state.settings = settings

    @app.get("/", response_class=HTMLResponse)
    def home() -> str:
        return (
            "<!doctype html><html><head><meta charset='utf-8'><title>sfimport</title></head>"
            "<body><h1>sfimport</h1><p>Import Salesforce data into My Data.</p></body></html>"
        )

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    return app

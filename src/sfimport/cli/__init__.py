"""The `sfimport` command line: every action of the import wizard, scriptable."""

from __future__ import annotations

from sfimport.cli.app import app, main

__all__ = ["app", "main"]

"""The web app: the import wizard, My Data, connections and runs, server-rendered."""

from sfimport.web.app import create_app

__all__ = ["create_app"]

"""Fixtures of the CLI tests: invoke `sfimport` in-process with an injected Workspace."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from sfimport.cli import app
from sfimport.cli.context import CliState
from sfimport.settings import Settings
from tests.cli.fake_workspace import FakeWorkspace

Invoke = Callable[..., Result]


@pytest.fixture
def fake() -> FakeWorkspace:
    return FakeWorkspace()


@pytest.fixture
def invoke(tmp_path: Path, fake: FakeWorkspace) -> Invoke:
    """Run one `sfimport` command against ``fake`` (or the ``workspace`` passed) and return it."""
    runner = CliRunner()

    def run(
        args: Sequence[str],
        *,
        workspace: Any = None,
        terminal: bool = False,
        input: str | None = None,
        **state: Any,
    ) -> Result:
        chosen = fake if workspace is None else workspace
        obj = CliState(
            settings=Settings(home=tmp_path / "home"),
            workspace_factory=lambda settings: chosen,
            terminal=terminal,
            owns_workspace=False,
            **state,
        )
        return runner.invoke(app, list(args), obj=obj, input=input)

    return run

"""How much the command line says: -q for errors only, -v/-vv or --log-level for the engine's
log lines on stderr, and shell completion for bash, zsh and fish."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.cli.conftest import Run, mint

SFIMPORT = str(Path(sys.executable).with_name("sfimport"))


def test_quiet_prints_nothing_on_success_and_still_the_error_on_failure(connected: Run) -> None:
    quiet = connected("-q", "import", "demo", "-o", "Lead", "-f", "Sales")
    assert quiet.exit_code == 0, quiet.output
    assert quiet.stdout == ""
    assert quiet.stderr == ""
    loud = connected("import", "demo", "-o", "Lead", "-f", "Sales")
    assert "Review:" in loud.stdout and "Lead: done" in loud.stdout
    failed = connected("-q", "import", "demo", "-o", "Nope")
    assert failed.exit_code == 2
    assert failed.stdout == ""
    assert failed.stderr.startswith("Error: ")
    assert "Fix: " in failed.stderr


def test_log_lines_appear_with_verbose_or_a_log_level_only(sfimport: Run, base_url: str) -> None:
    plain = sfimport("connect", "a", "--refresh-token", "-", input=mint(base_url))
    assert plain.exit_code == 0, plain.output
    assert "INFO" not in plain.stderr
    verbose = sfimport("-v", "connect", "b", "--refresh-token", "-", input=mint(base_url))
    assert verbose.exit_code == 0, verbose.output
    assert "INFO sfimport.extract.connections: Connection 'b' stored for" in verbose.stderr
    level = sfimport(
        "--log-level", "WARNING", "connect", "c", "--refresh-token", "-", input=mint(base_url)
    )
    assert level.exit_code == 0, level.output
    assert "INFO" not in level.stderr
    info = sfimport("--log-level", "info", "connections", "--json")
    assert json.loads(info.stdout)  # logs never reach stdout, which stays one JSON document


def test_quiet_and_verbose_together_is_bad_usage(sfimport: Run) -> None:
    result = sfimport("-q", "-v", "connections")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "Error: --quiet cannot be combined with --verbose or --log-level.",
        "Fix: Choose one: -q for errors only, -v or --log-level for more.",
    ]


def _complete(words: str, cword: int) -> list[str]:
    env = {**os.environ, "_SFIMPORT_COMPLETE": "complete_bash", "COMP_WORDS": words}
    env["COMP_CWORD"] = str(cword)
    done = subprocess.run([SFIMPORT], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_shell_completion_script_and_answers() -> None:
    for shell, marker in (
        ("bash", "complete -o default -F"),
        ("zsh", "compdef"),
        ("fish", "complete"),
    ):
        shown = subprocess.run(
            [SFIMPORT, "completion", shell], capture_output=True, text=True, timeout=60
        )
        assert shown.returncode == 0, shown.stderr
        assert marker in shown.stdout and "_SFIMPORT_COMPLETE" in shown.stdout
    assert _complete("sfimport exp", 1) == ["export"]
    assert set(_complete("sfimport re", 1)) == {"reports", "refresh", "resume", "resolve"}
    assert {"--force", "--format"} <= set(_complete("sfimport export Sales.Lead --fo", 3))

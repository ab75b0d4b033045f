"""The start of team mode's multi-host tests: a worker host in its own network namespace
reaches the team's PostgreSQL over its network link only (not over loopback), and runs
sfimport against it there."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from sfimport.store.schema import head_revision
from tests.postgres import START_POSTGRES
from tests.team.netns import Host, network_host

SFIMPORT = str(Path(sys.executable).with_name("sfimport"))

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(os.geteuid() != 0, reason="network namespaces need root"),
]


@pytest.fixture
def host() -> Iterator[Host]:
    with network_host() as made:
        yield made


@pytest.fixture
def team_postgres(host: Host) -> Iterator[str]:
    """A throwaway PostgreSQL listening on this machine's end of the link: the team's server."""
    started = subprocess.Popen(
        [str(START_POSTGRES), "--fresh", "--listen", host.gateway],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert started.stdin is not None and started.stdout is not None
    url = started.stdout.readline().strip()
    try:
        assert url, "scripts/start-postgres gave no URL"
        port = url.rsplit(":", 1)[1].split("/", 1)[0]
        yield f"postgresql://postgres@{host.gateway}:{port}/postgres"
    finally:
        started.stdin.close()
        started.wait(timeout=60)
        started.stdout.close()


def on(host: Host, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        host.command(SFIMPORT, "--home", str(home), *args),
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONWARNINGS": "error"},
    )


def test_a_host_in_its_own_namespace_uses_the_team_database_over_the_network(
    host: Host, team_postgres: str, tmp_path: Path
) -> None:
    home = tmp_path / "worker-host"
    done = on(host, home, "--database-url", team_postgres, "db", "upgrade")
    assert done.returncode == 0, done.stderr
    current = on(host, home, "--database-url", team_postgres, "--json", "db", "current")
    assert current.returncode == 0, current.stderr
    answer = json.loads(current.stdout)
    assert answer["metadata"] == head_revision()
    assert f"@{host.gateway}:" in answer["metadata_where"]

    # Loopback inside the namespace is its own: the server is not there.
    port = team_postgres.rsplit(":", 1)[1].split("/", 1)[0]
    local = f"postgresql://postgres@127.0.0.1:{port}/postgres?connect_timeout=3"
    refused = on(host, home, "--database-url", local, "runs")
    assert refused.returncode == 1
    assert "Could not reach the metadata database" in refused.stderr

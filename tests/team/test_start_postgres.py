"""scripts/start-postgres on a machine where no PostgreSQL answers: a throwaway cluster on a
free port that the metadata migrations run on, stopped and removed when its caller lets go."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import psycopg
import pytest

from sfimport.settings import metadata_database_url
from sfimport.store.metadata import create_metadata_engine
from sfimport.store.schema import head_revision, metadata_state
from tests.postgres import START_POSTGRES, answers

pytestmark = pytest.mark.slow


def test_a_throwaway_cluster_serves_the_migrations_then_disappears() -> None:
    # --fresh: as on a machine without a server (this one runs one at 5432 as well).
    started = subprocess.Popen(
        [str(START_POSTGRES), "--fresh"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert started.stdin and started.stdout and started.stderr
    try:
        url = started.stdout.readline().strip()
        said = started.stderr.readline()
        match = re.match(r"postgresql://postgres@127\.0\.0\.1:(\d+)/postgres$", url)
        assert match, (url, said)
        assert match.group(1) != "5432"
        folder = Path(said.split(" in ", 1)[1].split(" at ", 1)[0])
        assert (folder / "data" / "PG_VERSION").read_text().strip() == "15"

        engine = create_metadata_engine(metadata_database_url(url))
        assert metadata_state(engine).current == head_revision()
        engine.dispose()
    finally:
        started.stdin.close()  # the caller lets go (as when it exits or is killed)
        code = started.wait(timeout=60)
        started.stdout.close()
        started.stderr.close()
    assert code == 0
    assert not folder.exists()
    assert not answers(url)
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(url, connect_timeout=3).close()

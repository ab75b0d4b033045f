"""A publish killed at any point leaves My Data as it was; concealed values never reach disk."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pyarrow as pa
import pytest

from sfimport.extract.conceal import Concealer, concealment_shapes, default_concealed_columns
from sfimport.extract.schema import FieldSpec, arrow_schema
from sfimport.store.mydata import MyData, Publication

CHILD = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    import pyarrow as pa
    from sfimport.store.mydata import MyData, Publication

    rows = int(sys.argv[2])
    version = int(sys.argv[3])
    mydata = MyData.for_data_dir(Path(sys.argv[1]))
    ids = pa.array([f"001R{i:014d}" for i in range(rows)])
    while True:
        version += 1
        schema = pa.schema([("Id", pa.string()), ("Version", pa.string())])
        batch = pa.RecordBatch.from_arrays(
            [ids, pa.array([f"v{version}"] * rows)], schema=schema
        )
        with mydata.stage(f"run-{version}", "Sales", "Account", schema) as writer:
            for offset in range(0, rows, 50_000):
                writer.write(batch.slice(offset, 50_000))
        print(f"publishing {version}", flush=True)
        mydata.publish(
            writer.close(),
            Publication("Sales", "Account", connection=f"v{version}", source="Account"),
        )
        print(f"published {version}", flush=True)
    """
)


def read_state(data_dir: Path) -> str:
    """The published version, checked whole: one version in the table, as the catalog says."""
    mydata = MyData.for_data_dir(data_dir)
    dataset = mydata.get_dataset("Sales", "Account")
    table = mydata.query('SELECT "Version", count(*) AS n FROM "Sales"."Account" GROUP BY ALL')
    counts = dict(
        zip(
            table.table.column("Version").to_pylist(),
            table.table.column("n").to_pylist(),
            strict=True,
        )
    )
    assert list(counts) == [dataset.connection]
    assert counts[dataset.connection] == dataset.row_count
    return dataset.connection


@pytest.mark.slow
def test_publish_killed_at_a_random_point_leaves_my_data_whole(tmp_path: Path) -> None:
    rows = 200_000
    schema = pa.schema([("Id", pa.string()), ("Version", pa.string())])
    mydata = MyData.for_data_dir(tmp_path)
    with mydata.stage("run-0", "Sales", "Account", schema) as writer:
        writer.write(pa.RecordBatch.from_pylist([{"Id": "001", "Version": "v0"}], schema=schema))
    mydata.publish(writer.close(), Publication("Sales", "Account", "v0", "Account"))
    state_before = "v0"
    generator = random.Random(6)
    for attempt in range(1, 5):
        with subprocess.Popen(
            [sys.executable, "-c", CHILD, str(tmp_path), str(rows), str(attempt * 1000)],
            stdout=subprocess.PIPE,
            text=True,
        ) as child:
            assert child.stdout is not None
            # Let one publish of this child start, then kill it at a random moment.
            first = child.stdout.readline().split()
            time.sleep(generator.uniform(0.0, 1.0))
            child.send_signal(signal.SIGKILL)
            child.wait(timeout=10)
            words = first + child.stdout.read().split()
        events = list(zip(words[::2], (int(v) for v in words[1::2]), strict=True))
        started = max(v for k, v in events if k == "publishing")
        done = max((v for k, v in events if k == "published"), default=None)
        state = read_state(tmp_path)
        if done == started:
            # Killed while staging the next version: the last publish stands, untouched.
            assert state == f"v{done}"
        else:
            # Killed during a publish: My Data is as it was, or (committed) the new version.
            previous = state_before if done is None else f"v{done}"
            assert state in {previous, f"v{started}"}
        state_before = state


def test_concealed_values_never_reach_the_data_folder(tmp_path: Path) -> None:
    fields = [
        FieldSpec("Id", "Contact ID", "id"),
        FieldSpec("LastName", "Last Name", "string"),
        FieldSpec("Email", "Email", "email"),
        FieldSpec("Title", "Title", "string"),
    ]
    schema = arrow_schema(fields)
    people = [
        {
            "Id": f"003R{i:014d}",
            "LastName": f"Zebulonsky{i:03d}",
            "Email": f"secret.person{i:03d}@privatemail.example",
            "Title": f"Quartermaster{i:03d}",
        }
        for i in range(40)
    ]
    batch = pa.RecordBatch.from_pylist(people, schema=schema)
    concealer = Concealer.for_data_folder(tmp_path)
    shapes = concealment_shapes(schema, default_concealed_columns(fields, "Contact"))
    assert set(shapes) == {"LastName", "Email"}
    mydata = MyData.for_data_dir(tmp_path)
    with mydata.stage("run-1", "People", "Contact", schema) as writer:
        writer.write(concealer.conceal_batch(batch, shapes))
    mydata.publish(
        writer.close(),
        Publication("People", "Contact", "acme", "Contact", concealed=tuple(shapes)),
    )
    on_disk = b"".join(p.read_bytes() for p in tmp_path.rglob("*") if p.is_file())
    # The control value (not concealed) is found, so the search would find a raw value.
    assert b"Quartermaster017" in on_disk
    for person in people:
        assert person["LastName"].encode() not in on_disk
        assert person["Email"].encode() not in on_disk
        assert person["Email"].split("@")[0].encode() not in on_disk
    preview = mydata.preview("People", "Contact").to_pylist()
    assert preview[0]["LastName"].startswith("Person ")
    assert preview[0]["Id"] == "003R00000000000000"

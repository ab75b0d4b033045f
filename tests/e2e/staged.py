"""What a run has staged in My Data, read beside the product (read-only, plain DuckDB)."""

from __future__ import annotations

from pathlib import Path

import duckdb


def staged_rows(home: Path) -> int:
    """Rows in the staging tables of runs in My Data; 0 while another process writes it."""
    path = home / "mydata.duckdb"
    if not path.exists():
        return 0
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error:
        return 0  # an import is appending a page right now: ask again
    try:
        tables = con.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() "
            "WHERE starts_with(table_name, '__staging__')"
        ).fetchall()
        return sum(
            int(con.execute(f'SELECT count(*) FROM "{schema}"."{table}"').fetchall()[0][0])
            for schema, table in tables
        )
    finally:
        con.close()


def staged_text(home: Path) -> list[str]:
    """Every value of every staging table in My Data, as text (for privacy checks)."""
    con = duckdb.connect(str(home / "mydata.duckdb"), read_only=True)
    try:
        tables = con.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() "
            "WHERE starts_with(table_name, '__staging__')"
        ).fetchall()
        values: list[str] = []
        for schema, table in tables:
            for row in con.execute(f'SELECT * FROM "{schema}"."{table}"').fetchall():
                values.extend(str(v) for v in row if v is not None)
        return values
    finally:
        con.close()

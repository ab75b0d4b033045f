"""Alembic migrations of the metadata database (SQLite by default, PostgreSQL alike)."""

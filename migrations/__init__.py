"""Alembic migrations; run them with `python -m bot db upgrade`."""

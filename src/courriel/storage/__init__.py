"""Persistence ports and their backends; nothing here knows a protocol.

``ports.py`` states the contracts (one Protocol per role), ``records.py`` the rows exchanged
through them, ``query.py`` the neutral search-criteria tree. ``sqlite/`` + ``fs/`` are the
embedded default; a PostgreSQL backend (later issue) implements the same ports and passes
the same conformance suite (``tests/conformance``).
"""

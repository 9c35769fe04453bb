"""Storage: the SQLite file and what every other layer writes through.

The connection and its pragmas (db), the append-only migrations and the current schema
they make (migrations, schema.sql), the change sequence and change index that pulls page
by (changes), backup and restore, and small helpers for rows, pages and strict JSON.

Imports: only the leaf modules (sync.checks, clock, codes, errors).
"""

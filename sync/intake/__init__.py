"""The nightly import from the housing management system: file formats, each import
kind's rows and checks, parsing with line numbers, storing (and the moves and checks that
follow), and the run's record (docs/import-formats.md).

Imports: everything below the operations (leaf, store, access, protocol, records) and the
registry of kinds (sync.kinds).
"""

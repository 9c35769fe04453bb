"""The sync protocol's engine, for every kind alike: the record kind's declaration
(kinds), a push's unit of work (batch), when a mutation sent again is the same one
(resends), the pull cursor (cursor), field versions and conflicts (versions, edits), the
outbox of events for other systems, and review of conflicts and rejected mutations.

Imports: the leaf modules, sync.store and sync.access. Nothing here names a record kind.
"""

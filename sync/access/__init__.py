"""Who may do what: users and teams, devices and their tokens, passwords and login
throttling, the caller's scope (which patches and homes), and the audit log.

Imports: the leaf modules and sync.store.
"""

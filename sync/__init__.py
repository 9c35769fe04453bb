"""Storage, migrations and the sync protocol: plain Python on sqlite-utils, no Flask."""

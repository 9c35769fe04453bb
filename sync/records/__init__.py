"""The record kinds, one module each (or a family per module): homes with patches and
geometry (properties, patches, geometry), tenancies with their tenants and accounts,
arrangements with promises, repairs with Awaab's Law clocks (repairs, awaab), visits,
concerns, markers, check-ins and photos (blobs), and the rent statement (statements,
for the API and the court bundle; phone_statements, the one phones hold). Each declares its kinds
(``sync.protocol.kinds.Kind``): sync.kinds collects them.

Imports: the leaf modules, sync.store, sync.access, sync.protocol and one another.
"""

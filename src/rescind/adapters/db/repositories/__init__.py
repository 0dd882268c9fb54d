"""SQL implementations of the repository Protocols in ``rescind.services.ports``.

Each translates rows to domain dataclasses and back explicitly, so the domain never learns
about storage. Reads use ``populate_existing`` because writes go through versioned UPDATE
statements, which the session's identity map does not see.
"""

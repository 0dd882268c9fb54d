"""Storage for rescind on SQLite (the embedded default) and PostgreSQL, with SQLAlchemy 2.

``tables`` maps rows, ``repositories`` translate rows to and from domain objects explicitly,
``unit_of_work`` gives the services one transaction per use case, ``migrate`` runs Alembic.
"""

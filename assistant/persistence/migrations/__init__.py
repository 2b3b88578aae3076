"""Alembic migrations for the SQL store, shipped inside the package.

``open_store`` and ``assistant db upgrade`` run them programmatically (no ``alembic.ini``).
A new revision, after changing ``tables.py``::

    from alembic import command
    from assistant.persistence.database import alembic_config

    command.revision(alembic_config("sqlite:///var/brokerdesk.db"), "what changed",
                     autogenerate=True)

Review what autogenerate wrote (it misses renames and server defaults), keep the revision
free of imports from the application, and run the schema test on both backends.
"""

"""Where conversations, tickets, staff and pushes are kept: repository protocols
(``repositories``), the records they return (``records``) and the SQLAlchemy
implementation for SQLite and PostgreSQL (``sql``, migrations under ``migrations/``)."""

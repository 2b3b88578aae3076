"""How this deployment names what it puts in a Redis server that others may share.

Pub/sub channels ignore the Redis database number, so two deployments on one server would
hear each other's conversations; the namespace names the database number and the
conversation database, and every key and channel starts with it
(:attr:`assistant.settings.Settings.redis_namespace`, unless ``REDIS_PREFIX`` sets one).
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit


def default_redis_namespace(bus_url: str | None, database_url: str) -> str:
    """``brokerdesk:DB:NAME-HASH:``: the Redis database number (pub/sub ignores it, so it
    must be in the channel names) and the conversation database: its name, readable, and
    a hash of its driver-free address (host, port, name or file path; never the password)."""
    redis_db = "0"
    if bus_url:
        parts = urlsplit(bus_url)
        redis_db = parts.path.strip("/") or parse_qs(parts.query).get("db", ["0"])[0]
    database = urlsplit(database_url)
    backend = database.scheme.split("+")[0]
    where = f"{backend}://{database.hostname or ''}:{database.port or ''}{database.path}"
    name = Path(database.path).stem if backend == "sqlite" else database.path.strip("/")
    readable = re.sub(r"[^A-Za-z0-9_.-]+", "-", name)[:24] or backend
    digest = hashlib.blake2b(where.encode(), digest_size=4).hexdigest()
    return f"brokerdesk:{redis_db}:{readable}-{digest}:"

"""One response run per incident at a time, across processes (a file lock on SQLite, an advisory lock on PostgreSQL)."""

from __future__ import annotations

import fcntl
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url

from incidents.register.db import engine_for


@contextmanager
def incident_lock(database_url: str, incident_id: str, lock_dir: Path) -> Iterator[None]:
    url = make_url(database_url)
    if url.get_backend_name() == "postgresql":
        key = int.from_bytes(hashlib.sha256(incident_id.encode()).digest()[:8], "big", signed=True)
        with engine_for(database_url).connect() as connection:
            connection.execute(text("SELECT pg_advisory_lock(:k)"), {"k": key})
            connection.commit()
            try:
                yield
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                connection.commit()
        return
    lock_dir.mkdir(parents=True, exist_ok=True)
    with open(lock_dir / f"{incident_id}.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)

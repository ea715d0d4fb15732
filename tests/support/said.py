"""An error as each reader reads it: the same raised error rendered in Dutch and in English."""

from __future__ import annotations

from incidents.said import speaking


def both(error: Exception) -> tuple[str, str]:
    """The error as a Dutch reader and as an English one reads it."""
    with speaking("nl"):
        dutch = str(error)
    return dutch, str(error)

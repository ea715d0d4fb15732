"""The dashboard: an ASGI app whose pages and API call the same services as the CLI."""

from breach.web.app import create_app

__all__ = ["create_app"]

"""Prefect orchestration of the breach response: thin flows over incidents.services."""

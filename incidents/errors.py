"""Error classes per failure; each message names the field or the state and says what to do."""

from __future__ import annotations

from dataclasses import dataclass


class BreachError(Exception):
    """Base for every error the user is meant to read (the CLI prints it and exits 2)."""


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class InvalidInput(BreachError):
    """Input (a report, assessment, profile, CSV, command option) failed validation; nothing was written."""

    def __init__(self, what: str, errors: list[FieldError]):
        self.what = what
        self.errors = errors
        lines = "\n".join(f"  - {e}" for e in errors)
        super().__init__(f"{what} is not valid ({len(errors)} problem{'s' if len(errors) != 1 else ''}):\n{lines}")


class InvalidTransition(BreachError):
    """The incident is not in a state where this step is allowed."""


class UnknownIncident(BreachError):
    def __init__(self, incident_id: str):
        super().__init__(
            f"unknown incident id {incident_id!r}: `breach list` shows the ids in the register "
            "(they look like DL-2026-0001)"
        )
        self.incident_id = incident_id


class ConfigurationError(BreachError):
    """The workspace, the profile or an environment variable is missing or wrong."""


class DispatchFailed(BreachError):
    """An e-mail could not be handed to the mail service."""

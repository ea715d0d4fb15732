"""Error classes per failure; each message names the field or the state and says what to do.

The words are not here: an error carries a `Said` (incidents/said.py), a key into templates/<lang>/errors/ and
its values, and reads in the language of whoever reads it (the CLI's, the dashboard user's; English in logs).
"""

from __future__ import annotations

from dataclasses import dataclass

from incidents.said import Said


class BreachError(Exception):
    """Base for every error the user is meant to read (the CLI prints it and exits 2)."""

    def __init__(self, said: Said | str = "", *args: object):
        super().__init__(said, *args)
        self.said = said

    def __str__(self) -> str:
        return str(self.said)


@dataclass(frozen=True)
class FieldError:
    field: str
    said: Said | str

    @property
    def message(self) -> str:
        """The problem with the field, in the reader's language."""
        return str(self.said)

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class InvalidInput(BreachError):
    """Input (a report, assessment, profile, CSV, command option) failed validation; nothing was written.

    `what` names the input by its key in `whats` of templates/<lang>/errors/common.j2 ("report", "approval").
    """

    def __init__(self, what: str | Said, errors: list[FieldError]):
        self.what = what
        self.errors = errors
        super().__init__(Said("common.invalid", what=what, errors=errors))


class InvalidTransition(BreachError):
    """The incident is not in a state where this step is allowed."""


class UnknownIncident(BreachError):
    def __init__(self, incident_id: str):
        super().__init__(Said("common.unknown_incident", id=incident_id))
        self.incident_id = incident_id


class ConfigurationError(BreachError):
    """The workspace, the profile or an environment variable is missing or wrong."""


class DispatchFailed(BreachError):
    """An e-mail could not be handed to the mail service."""


class Blame(ValueError):
    """Raised inside a pydantic validator: each problem is a `Said` about the field being validated, or a
    `FieldError` naming a field of the model (a rule across fields blames the one to fix)."""

    def __init__(self, *problems: Said | FieldError):
        super().__init__(*problems)
        self.problems = problems

    def __str__(self) -> str:
        return " ;; ".join(str(p) for p in self.problems)

"""The organisation profile: who the controller is, who responds, which processors and which data it holds."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import EmailStr, Field, field_validator, model_validator

from incidents.errors import Blame, FieldError, InvalidInput
from incidents.model import VOCABULARY, Strict
from incidents.retention import RetentionRule
from incidents.said import Said
from incidents.validation import load_document, parse_model
from incidents.wording import MAX_TEXT, OVERRIDABLE, read_folder


class Address(Strict):
    street: str
    postcode: str
    city: str
    country: str = Field(default="NL", min_length=2, max_length=2)


class Person(Strict):
    name: str = Field(min_length=2)
    role: str = ""
    email: EmailStr
    phone: str = ""


class Organisation(Strict):
    name: str = Field(min_length=2)
    address: Address
    kvk_number: str = Field(pattern=r"^\d{8}$", description="Kamer van Koophandel number, 8 digits")
    sector: str = ""
    phone: str = ""
    email: EmailStr
    website: str = ""
    dpo_registration: str | None = None  # the FG's registration number at the AP, if there is a DPO
    # how the Dutch message to the people addresses them: "u" (formal, the default) or "je"
    address_form: Literal["u", "je"] = "u"


class Sending(Strict):
    """How this organisation's e-mail goes out, when one installation serves several: its own sender address and
    its own SendGrid key, named by the environment variable that holds it (a key is never in the profile or the
    register)."""

    mail_from: EmailStr | None = None  # default: BREACH_MAIL_FROM, else the privacy contact's address
    sendgrid_key_env: str | None = Field(default=None, pattern=r"^[A-Z_][A-Z0-9_]{0,63}$",
                                         description="the name of the environment variable with its SendGrid key")
    # its SendGrid account's Event Webhook verification key, for the events posted to
    # /webhooks/sendgrid/events/<slug> (default: BREACH_SENDGRID_WEBHOOK_PUBLIC_KEY, the installation's)
    sendgrid_webhook_key_env: str | None = Field(
        default=None, pattern=r"^[A-Z_][A-Z0-9_]{0,63}$",
        description="the name of the environment variable with its SendGrid account's webhook verification key")


class Processor(Strict):
    name: str = Field(min_length=2)
    service: str
    country: str = ""
    contact_email: EmailStr | None = None  # where the processor's breach notices come from / go to
    notice_hours: int | None = Field(default=None, ge=1, description="hours agreed for its breach notice to us")


class DataCategory(Strict):
    """An organisation's own name for a kind of data, mapped onto the assessment vocabulary."""

    name: str
    means: str
    description: str = ""

    @field_validator("means")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in VOCABULARY:
            raise Blame(Said("profile.not_in_vocabulary", terms=sorted(VOCABULARY)))
        return value


class System(Strict):
    name: str = Field(min_length=2)
    description: str = ""
    processor: str | None = None
    categories: list[str] = Field(min_length=1)
    groups: list[str] = Field(default_factory=list)  # whose data: klanten, leads, nieuwsbriefabonnees, ...
    people_estimate: int = Field(ge=0)
    retention: str = ""


class ContactPoint(Person):
    phone: str = Field(min_length=6, description="the AP's form requires a phone number (question 3.2)")


class Profile(Strict):
    organisation: Organisation
    privacy_contact: ContactPoint
    incident_team: list[Person] = Field(min_length=1)
    language: Literal["nl", "en"] = "nl"
    processors: list[Processor] = Field(default_factory=list)
    data_categories: list[DataCategory] = Field(default_factory=list)
    data_inventory: list[System] = Field(min_length=1)
    retention: RetentionRule = Field(default_factory=RetentionRule)  # the people's data (GDPR art. 5(1)(e))
    sending: Sending = Field(default_factory=Sending)
    # the organisation's own wording: shipped template name (nl/subjects/_proposal.j2) -> its own text; in the YAML
    # file, a folder beside it laid out like templates/ (incidents/wording.py)
    wording: dict[str, str] = Field(default_factory=dict)

    @field_validator("wording")
    @classmethod
    def _wording(cls, texts: dict[str, str]) -> dict[str, str]:
        problems = []
        for name, text in sorted(texts.items()):
            if name not in OVERRIDABLE:
                problems.append(FieldError(f"wording.{name}", Said("profile.wording_not_replaceable", name=name,
                                                                   choices=sorted(OVERRIDABLE))))
            elif len(text) > MAX_TEXT:
                problems.append(FieldError(f"wording.{name}", Said("profile.wording_too_long", maximum=MAX_TEXT)))
        if problems:
            raise Blame(*problems)
        return texts

    @model_validator(mode="after")
    def _references(self) -> Profile:
        processors = {p.name.casefold() for p in self.processors}
        own = {c.name.casefold() for c in self.data_categories}
        problems: list[Said | FieldError] = []
        for label, names in (("processors", [p.name for p in self.processors]),
                             ("data_inventory", [s.name for s in self.data_inventory]),
                             ("data_categories", [c.name for c in self.data_categories])):
            seen: set[str] = set()
            for i, name in enumerate(names):
                if name.casefold() in seen:
                    problems.append(FieldError(f"{label}.{i}.name", Said("profile.name_twice", name=name)))
                seen.add(name.casefold())
        for i, category in enumerate(self.data_categories):
            if category.name in VOCABULARY:
                problems.append(FieldError(f"data_categories.{i}.name",
                                           Said("profile.category_is_vocabulary", name=category.name)))
        for i, system in enumerate(self.data_inventory):
            if system.processor and system.processor.casefold() not in processors:
                problems.append(FieldError(f"data_inventory.{i}.processor",
                                           Said("profile.processor_not_listed", processor=system.processor)))
            for term in system.categories:
                if term not in VOCABULARY and term.casefold() not in own:
                    problems.append(FieldError(f"data_inventory.{i}.categories",
                                               Said("profile.category_unknown", term=term)))
        if problems:
            raise Blame(*problems)
        return self

    def processor(self, name: str) -> Processor | None:
        return next((p for p in self.processors if p.name.casefold() == name.casefold()), None)

    def system(self, name: str) -> System | None:
        return next((s for s in self.data_inventory if s.name.casefold() == name.casefold()), None)

    def vocabulary_of(self, category: str) -> str | None:
        """The assessment vocabulary term for an own or vocabulary category name (None: unknown)."""
        if category in VOCABULARY:
            return category
        own = next((c for c in self.data_categories if c.name.casefold() == category.casefold()), None)
        return own.means if own else None

    def check_source(self, processor_name: str | None) -> list[FieldError]:
        if processor_name and self.processor(processor_name) is None:
            known = [p.name for p in self.processors]
            return [FieldError("source", Said("profile.unknown_processor", processor=processor_name, known=known))]
        return []

    def check_systems(self, names: list[str]) -> list[FieldError]:
        known = [s.name for s in self.data_inventory]
        return [
            FieldError(f"systems.{i}", Said("profile.unknown_system", name=name, known=known))
            for i, name in enumerate(names)
            if self.system(name) is None
        ]


def load_profile(path: Path) -> Profile:
    """The profile of a YAML (or JSON) file; its `wording`, a folder (relative to the file), read into the
    profile as texts, so they are kept with each version of it."""
    what = Said("profile.organisation_profile", path=path)  # an InvalidInput names it (templates/<lang>/errors)
    data = load_document(path, what)
    if isinstance(data, dict) and isinstance(data.get("wording"), str):
        folder = (path.parent / data["wording"]).resolve()
        if not folder.is_dir():
            raise InvalidInput(what, [FieldError("wording", Said("profile.wording_folder_missing", path=folder))])
        data = {**data, "wording": read_folder(folder)}
    return parse_model(Profile, data, what)


def categories_of(profile: Profile, names: list[str]) -> list[dict[str, str]]:
    """The assessment's categories as a message needs them: the name as written, its vocabulary term, its ENISA
    class, and the language the organisation's own names are in (a message quotes them only in that language)."""
    result = []
    for name in names:
        term = profile.vocabulary_of(name) or name
        result.append({"name": name, "vocabulary": term, "enisa_class": VOCABULARY.get(term, "simple"),
                       "language": profile.language})
    return result

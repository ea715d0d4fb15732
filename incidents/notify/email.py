"""E-mail backends behind one interface: `outbox` (.eml files in a folder) and `sendgrid` (the real client).

A message is rendered once (per language); what differs per person travels as substitutions, so that a
backend can hand many recipients to the mail service in one request and nobody sees another's address.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid
from itertools import islice
from pathlib import Path
from types import MappingProxyType
from typing import NamedTuple, Protocol

from incidents.times import now_utc

# The per-person fields a template may use; a template renders `{{ person.name }}` as this token.
TEXT_TOKENS = {"name": "-name-"}
HTML_TOKENS = {"name": "-name_html-"}


_HTML_SPECIAL = re.compile(r"[&<>\"']")


def escape_html(value: str) -> str:
    """html.escape, skipped for the usual name with nothing to escape (it runs once per person)."""
    return html.escape(value) if _HTML_SPECIAL.search(value) else value


class Address(NamedTuple):
    email: str
    name: str = ""


_NO_FIELDS: Mapping[str, str] = MappingProxyType({})


class Recipient(NamedTuple):
    """One person a message goes to. A tuple, not a dataclass: a dispatch makes one per person, so it is cheap."""

    key: str  # the register's id for the person (subject id, team member index): no personal data
    address: Address
    fields: Mapping[str, str] = _NO_FIELDS  # per-person values, e.g. {"name": "An de Vries"}

    def substitutions(self) -> dict[str, str]:
        return substitutions(self.fields)


_tuple = tuple.__new__


def named_recipients(people: Iterable[tuple[int, str, str]], prefix: str, fallback: str) -> list[Recipient]:
    """A Recipient per (id, name, address), keyed `<prefix>-<id>`, whose one field is the name (`fallback` for
    someone without one). Each tuple is made without NamedTuple's __new__, a Python call per object: a dispatch
    makes two objects per person, and that call was three quarters of their cost."""
    return [_tuple(Recipient, (f"{prefix}-{sid}", _tuple(Address, (email, name)), {"name": name or fallback}))
            for sid, name, email in people]


def substitutions(fields: Mapping[str, str]) -> dict[str, str]:
    """The tokens a rendered message carries for the per-person fields, with the person's values (escaped for
    the HTML part)."""
    subs = {}
    for name, value in fields.items():
        if (token := TEXT_TOKENS.get(name)) is not None:
            subs[token] = value
        if (token := HTML_TOKENS.get(name)) is not None:
            subs[token] = escape_html(value)
    return subs


@dataclass(frozen=True)
class Attachment:
    """A file sent along with a message, the same for every recipient (e.g. the AP notice as rendered)."""

    filename: str
    content: bytes
    mime_type: str = "application/octet-stream"
    charset: str | None = None  # text: how its bytes are encoded, so "één" arrives as "één"

    @property
    def content_type(self) -> str:
        """The Content-Type with its charset, as it goes out."""
        return f"{self.mime_type}; charset={self.charset}" if self.charset else self.mime_type

    def __post_init__(self) -> None:
        if not self.filename or "/" in self.filename or "\\" in self.filename or "\n" in self.filename:
            raise ValueError(f"an attachment's filename is a bare file name, not {self.filename!r}")
        maintype, _, subtype = self.mime_type.partition("/")
        if not maintype or not subtype:
            raise ValueError(f"an attachment's mime_type is type/subtype, not {self.mime_type!r}")


@dataclass(frozen=True)
class Message:
    """One rendered message; `custom_args` tie delivery events back to the incident (ids only)."""

    sender: Address
    subject: str
    text: str
    html: str | None
    kind: str  # team_alert | subject_notice | authority_mail | ...
    incident_id: str
    reply_to: Address | None = None
    custom_args: Mapping[str, str] = field(default_factory=dict)
    attachments: tuple[Attachment, ...] = ()


@dataclass(frozen=True)
class Sent:
    accepted: list[str]  # recipient keys the service accepted
    location: str  # where the messages went: a folder, or the service's address
    # the service's own id of each request it took (SendGrid's X-Message-Id): the proof of sending that stays
    # when the people's data are deleted (incidents.services.retention)
    message_ids: list[str] = field(default_factory=list)


class EmailBackend(Protocol):
    name: str

    def send(self, message: Message, recipients: Sequence[Recipient]) -> Sent:
        """Deliver `message` to each recipient separately; raise DispatchFailed when the service refuses."""
        ...


def batched(items: Iterable[Recipient], size: int) -> Iterator[list[Recipient]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def apply(template: str, substitutions: Mapping[str, str]) -> str:
    for token, value in substitutions.items():
        template = template.replace(token, value)
    return template


class OutboxBackend:
    """Writes each e-mail as a real RFC 5322 `.eml` file: <outbox>/<incident>/<kind>/<recipient key>.eml."""

    name = "outbox"

    def __init__(self, folder: Path):
        self.folder = folder

    def send(self, message: Message, recipients: Sequence[Recipient]) -> Sent:
        target = self.folder / message.incident_id / message.kind
        target.mkdir(parents=True, exist_ok=True)
        accepted = []
        for recipient in recipients:
            subs = recipient.substitutions()
            eml = EmailMessage()
            eml["From"] = formataddr((message.sender.name, message.sender.email))
            eml["To"] = formataddr((recipient.address.name, recipient.address.email))
            if message.reply_to:
                eml["Reply-To"] = formataddr((message.reply_to.name, message.reply_to.email))
            eml["Subject"] = apply(message.subject, {k: v for k, v in subs.items() if k in TEXT_TOKENS.values()})
            eml["Date"] = format_datetime(now_utc())
            eml["Message-ID"] = make_msgid(domain=message.sender.email.rpartition("@")[2] or "localhost")
            eml["X-Incident-Id"] = message.incident_id
            for name, value in message.custom_args.items():
                eml[f"X-Breach-{name.replace('_', '-').title()}"] = value
            eml.set_content(apply(message.text, subs))
            if message.html is not None:
                eml.add_alternative(apply(message.html, subs), subtype="html")
            for attachment in message.attachments:
                maintype, _, subtype = attachment.mime_type.partition("/")
                eml.add_attachment(attachment.content, maintype=maintype, subtype=subtype,
                                   filename=attachment.filename,
                                   params={"charset": attachment.charset} if attachment.charset else {})
            path = target / f"{recipient.key}.eml"
            tmp = path.with_suffix(".eml.tmp")
            tmp.write_bytes(bytes(eml))
            tmp.replace(path)  # a crash leaves no half-written e-mail
            accepted.append(recipient.key)
        return Sent(accepted=accepted, location=str(target))

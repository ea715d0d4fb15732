"""Attachments: the outbox writes them as MIME parts, SendGrid gets them base64 in `attachments`."""

from __future__ import annotations

import base64
import json
from email import message_from_bytes, policy
from pathlib import Path

import jsonschema
import pytest

from incidents.notify.email import Address, Attachment, Message, OutboxBackend, Recipient
from incidents.notify.sendgrid_backend import SendGridBackend

SPEC = Path(__file__).resolve().parents[1] / "support" / "sendgrid" / "mail-send.openapi.json"
NOTICE_HTML = "<!DOCTYPE html><html><body><h1>Melding datalek – DL-2026-0001</h1></body></html>".encode()
NOTICE_TXT = b"5.3  Omschrijving van het incident\nEen map stond open voor iedereen met de link.\n"


def message(*attachments: Attachment) -> Message:
    return Message(sender=Address("privacy@qoers.nl", "Qoers"), subject="Melding aan de AP klaar: nog 61,5 uur",
                   text="Beste -name-,\n\nDe melding staat klaar.", html="<p>Beste -name_html-,</p>",
                   kind="authority_mail", incident_id="DL-2026-0001", attachments=attachments)


def notice_files() -> tuple[Attachment, ...]:
    return (Attachment("authority-notice-v1.nl.html", NOTICE_HTML, "text/html"),
            Attachment("authority-notice-v1.nl.txt", NOTICE_TXT, "text/plain"))


CONTACT = Recipient("privacy-contact", Address("privacy@qoers.nl", "Anne Privacy"), {"name": "Anne Privacy"})


def test_the_outbox_writes_each_attachment_as_a_mime_part_with_its_name_and_bytes(tmp_path: Path) -> None:
    OutboxBackend(tmp_path).send(message(*notice_files()), [CONTACT])
    eml = message_from_bytes((tmp_path / "DL-2026-0001" / "authority_mail" / "privacy-contact.eml").read_bytes(),
                             policy=policy.default)

    parts = {p.get_filename(): p for p in eml.iter_attachments()}
    assert set(parts) == {"authority-notice-v1.nl.html", "authority-notice-v1.nl.txt"}
    assert parts["authority-notice-v1.nl.html"].get_content_type() == "text/html"
    assert parts["authority-notice-v1.nl.html"].get_payload(decode=True) == NOTICE_HTML
    assert parts["authority-notice-v1.nl.txt"].get_payload(decode=True) == NOTICE_TXT
    assert eml.get_body(("plain",)).get_content().startswith("Beste Anne Privacy,")  # the body is still the body
    assert "Anne Privacy" in eml.get_body(("html",)).get_content()


def test_a_message_without_attachments_is_written_as_before(tmp_path: Path) -> None:
    OutboxBackend(tmp_path).send(message(), [CONTACT])
    eml = message_from_bytes((tmp_path / "DL-2026-0001" / "authority_mail" / "privacy-contact.eml").read_bytes(),
                             policy=policy.default)

    assert eml.get_content_type() == "multipart/alternative"
    assert list(eml.iter_attachments()) == []


def backend() -> SendGridBackend:
    return SendGridBackend(api_key="SG.unit-test-key", host="http://sendgrid.invalid")


def test_sendgrid_gets_each_attachment_base64_with_type_name_and_disposition() -> None:
    body = backend().payload(message(*notice_files()), [CONTACT], "DL-2026-0001:authority_mail:1")

    assert body["attachments"] == [
        {"content": base64.b64encode(NOTICE_HTML).decode(), "type": "text/html",
         "filename": "authority-notice-v1.nl.html", "disposition": "attachment"},
        {"content": base64.b64encode(NOTICE_TXT).decode(), "type": "text/plain",
         "filename": "authority-notice-v1.nl.txt", "disposition": "attachment"},
    ]


def test_sendgrid_gets_no_attachments_key_for_a_message_without_them() -> None:
    assert "attachments" not in backend().payload(message(), [CONTACT], "b")


def test_the_request_with_attachments_matches_sendgrids_own_description() -> None:
    spec = json.loads(SPEC.read_text(encoding="utf-8"))
    schema = {**spec, "$ref": "#/paths/~1v3~1mail~1send/post/requestBody/content/application~1json/schema"}
    body = backend().payload(message(*notice_files()), [CONTACT], "DL-2026-0001:authority_mail:1")

    jsonschema.validate(body, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**body, "attachments": [{"type": "text/html"}]}, schema)


@pytest.mark.parametrize(("filename", "mime_type"), [
    ("../notices/authority-notice-v1.nl.html", "text/html"),
    ("", "text/html"),
    ("notice.html", "html"),
])
def test_an_attachment_needs_a_bare_file_name_and_a_full_mime_type(filename: str, mime_type: str) -> None:
    with pytest.raises(ValueError, match="attachment"):
        Attachment(filename, b"x", mime_type)


def test_a_text_attachment_says_its_charset_so_een_arrives_as_een(tmp_path: Path) -> None:
    """The AP notice attached to the privacy contact's e-mail is UTF-8 and says so, in the outbox and to SendGrid."""
    text = "Eén map stond open; één coachee meldde het.\n".encode()
    attachment = Attachment("authority-notice-v1.nl.txt", text, "text/plain", charset="utf-8")
    OutboxBackend(tmp_path).send(message(attachment), [CONTACT])
    eml = message_from_bytes((tmp_path / "DL-2026-0001" / "authority_mail" / "privacy-contact.eml").read_bytes(),
                             policy=policy.default)
    part = next(eml.iter_attachments())
    assert part.get_content_charset() == "utf-8" and part.get_content() == text.decode("utf-8")
    body = backend().payload(message(attachment), [CONTACT], "b")
    assert body["attachments"][0]["type"] == "text/plain; charset=utf-8"


def test_no_request_lets_the_account_track_opens_or_rewrite_links() -> None:
    """A breach notice carries no tracking pixel and no rewritten links, whatever the SendGrid account's defaults
    (Telecommunicatiewet art. 11.7a; it would also look like marketing or phishing)."""
    from incidents.notify.sendgrid_backend import NO_TRACKING

    b = backend()
    for sent in (b.payload(message(), [CONTACT], "b"), json.loads(b.body(message(), [CONTACT], "b"))):
        tracking = sent["tracking_settings"]
        assert tracking == NO_TRACKING and not any(setting["enable"] for setting in tracking.values())
    spec = json.loads(SPEC.read_text(encoding="utf-8"))
    schema = {**spec, "$ref": "#/paths/~1v3~1mail~1send/post/requestBody/content/application~1json/schema"}
    jsonschema.validate(b.payload(message(), [CONTACT], "b"), schema)

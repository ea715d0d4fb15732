"""The message templates as a reader sees them: team alert, AP notice and message to affected people."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, get_args

import pytest

from incidents.authority_notice import Filing, NoticeFacts, Purpose, Severity, answer_set
from incidents.legal import NO_FINDINGS
from incidents.lifecycle import Status
from incidents.messages import PARTS
from incidents.model import VOCABULARY, AssessmentFacts, BreachFacts, SourceKind
from incidents.notify.render import LANGUAGES, render, render_email
from incidents.profile import Profile
from incidents.views import AssessmentView, ClockView, DecisionView, IncidentView, RecommendationView

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
HOSTILE = "{{ 7*7 }} <script>alert(1)</script>"
UNKNOWN = {"nl": "nog niet bekend", "en": "not yet known"}

AWARE = datetime(2026, 11, 24, 13, 30, tzinfo=UTC)  # 14:30 CET
DUE = AWARE + timedelta(hours=72)

PROFILE = Profile.model_validate({
    "organisation": {
        "name": "Qoers",
        "address": {"street": "Gasthuisstraat 26", "postcode": "4161 CC", "city": "Heukelum"},
        "kvk_number": "82519587",
        "sector": "coaching",
        "phone": "06 - 11001098",
        "email": "info@qoers.nl",
    },
    "privacy_contact": {"name": "Anne Privacy", "role": "eigenaar", "email": "privacy@qoers.nl",
                        "phone": "06 - 11001098"},
    "incident_team": [{"name": "Ivo IT", "email": "it@qoers.nl"}],
    "processors": [{"name": "Google Drive", "service": "documentopslag", "country": "IE"}],
    "data_categories": [{"name": "coachverslagen", "means": "health"},
                        {"name": "contactgegevens", "means": "contact"}],
    "data_inventory": [{"name": "Drive", "processor": "Google Drive", "people_estimate": 120,
                        "categories": ["coachverslagen", "name", "contact"]}],
})


def categories(*names: str) -> list[dict[str, str]]:
    """What the caller passes: each category as the organisation calls it, its term and its ENISA class."""
    out = []
    for name in names:
        term = PROFILE.vocabulary_of(name)
        assert term is not None, name
        out.append({"name": name, "vocabulary": term, "enisa_class": VOCABULARY[term], "language": PROFILE.language})
    return out


def assessment(**changes: Any) -> AssessmentView:
    base = AssessmentView(
        recorded_at=AWARE + timedelta(hours=5), recorded_by="Ivo IT",
        summary="Een gedeelde map met coachverslagen stond open voor iedereen met de link.",
        confidentiality="unknown_recipients", integrity="none", availability="none", malicious=False,
        categories=["coachverslagen", "name", "contact"], vocabulary=["contact", "health", "name"],
        ease_of_identification="maximum",
        context={"profiling_possible": False, "reveals_sensitive_insight": True, "vulnerable_subjects": False,
                 "publicly_available": False, "limited_insight": False, "full_financial_details": False},
        count_min=40, count_max=120, groups=["customers"], contact_effort="individual",
        encryption="none", key_compromised=False, hashing="none", backup_available=True,
        exfiltration="suspected", recovered=False, recipient_trusted=False, restored_within_hours=None,
        measures_make_high_risk_unlikely=False, measures="Link ingetrokken; toegang tot de map beperkt.",
    )
    return replace(base, **changes)


def incident(**changes: Any) -> IncidentView:
    base = IncidentView(
        id="2026-0007", title="Gedeelde map met coachverslagen openbaar",
        description="Een klant meldde dat de link naar de map zonder inloggen werkte.",
        status=Status.ASSESSED, status_changed_at=AWARE + timedelta(hours=6),
        source_kind="data_subject", source_processor=None, reported_by="Anne Privacy", systems=["Drive"],
        occurred_from=None, occurred_until=None,
        discovered_at=AWARE - timedelta(hours=1), aware_at=AWARE, reported_at=AWARE,
        closing_reason=None,
        authority_clock=ClockView("authority_notice", DUE, "running", 66.5), authority_reference=None,
        assessment=assessment(),
        decision=DecisionView(notify_authority=True, notify_subjects=True,
                              reason="Gezondheidsgegevens mogelijk ingezien door onbekenden: hoog risico.",
                              decided_by="Anne Privacy", decided_at=AWARE + timedelta(hours=6)),
    )
    return replace(base, **changes)


def alert_context(view: IncidentView) -> dict[str, Any]:
    view = replace(view, assessment=None, decision=None, status=Status.DETECTED)
    return {"incident": view, "organisation": PROFILE.organisation,
            "privacy_contact": PROFILE.privacy_contact, "clock": view.authority_clock}


FIRST_FILING = Filing(id=1, kind="first", filed_at=AWARE + timedelta(hours=9), filed_by="Anne Privacy",
                      reference="M-2026-123456")


def notice_context(view: IncidentView, *, late: bool = False, version: int = 1, total: int = 0,
                   purpose: Purpose = "first", severity: Severity | None = None,
                   changes: str | None = None) -> dict[str, Any]:
    """What the service passes the AP notice templates: the answer set made from the register's facts."""
    view = replace(view, subjects={"pending": total} if total else {})
    facts = NoticeFacts(incident=view, profile=PROFILE, made_at=AWARE + timedelta(hours=80 if late else 8),
                        purpose=purpose, history=(FIRST_FILING,) if purpose != "first" else (),
                        severity=severity, version=version, changes=changes)
    return {"answer_set": answer_set(facts)}


def subject_context(view: IncidentView, *names: str) -> dict[str, Any]:
    return {"incident": view, "organisation": PROFILE.organisation,
            "privacy_contact": PROFILE.privacy_contact,
            "categories": categories(*(names or ("coachverslagen", "name", "contact")))}


def answer(text: str, number: str) -> str:
    """The answer under question `number` in the plain-text AP notice."""
    heading = re.search(rf"^{re.escape(number)}  .*$", text, re.MULTILINE)
    assert heading, f"question {number} is missing"
    rest = text[heading.end():]
    end = re.search(r"^(\d+\.\d+  |==== )", rest, re.MULTILINE)
    return rest[: end.start() if end else None].strip()


def notice(language: str, view: IncidentView | None = None, *, html: bool = False, **options: Any) -> str:
    context = notice_context(view or incident(), **options)
    return render(TEMPLATES, language, f"authority/notice.{'html' if html else 'txt'}.j2", **context)


# --- the alert to the incident team ---------------------------------------------------------------------

@pytest.mark.parametrize("language", LANGUAGES)
def test_alert_names_the_incident_the_ap_deadline_and_the_next_command(language: str) -> None:
    mail = render_email(TEMPLATES, language, "team/alert", **alert_context(incident()))

    assert "2026-0007" in mail.subject and "2026-11-27 14:30 CET" in mail.subject
    for body in (mail.text, mail.html):
        assert "Gedeelde map met coachverslagen openbaar" in body
        assert "Een klant meldde dat de link naar de map zonder inloggen werkte." in body
        assert "Anne Privacy" in body and "Drive" in body
        assert "2026-11-24 14:30 CET" in body  # aware: the start of the 72 hours
        assert "2026-11-27 14:30 CET" in body  # due
        assert ("66,5" if language == "nl" else "66.5") in body
        assert "breach assess 2026-0007 " in body


@pytest.mark.parametrize("language", LANGUAGES)
def test_alert_on_a_missed_deadline_says_how_long_ago_without_a_minus(language: str) -> None:
    view = incident(authority_clock=ClockView("authority_notice", DUE, "overdue", -5.5))
    text = render(TEMPLATES, language, "team/alert.txt.j2", **alert_context(view))

    hours = "5,5" if language == "nl" else "5.5"  # as each language writes a decimal
    assert hours in text and f"-{hours}" not in text


@pytest.mark.parametrize("language", LANGUAGES)
def test_alert_says_not_yet_known_for_what_the_report_left_out(language: str) -> None:
    view = incident(systems=[], occurred_from=None)
    text = render(TEMPLATES, language, "team/alert.txt.j2", **alert_context(view))

    assert text.count(UNKNOWN[language]) >= 2  # systems, start


# --- the AP notice ----------------------------------------------------------------------------------------

CHAPTERS = {
    "nl": ["Introductie", "Internationale aspecten", "De verwerkingsverantwoordelijke", "Tijdlijn",
           "Gegevens over de inbreuk", "Welke persoonsgegevens", "Getroffen personen", "Maatregelen vooraf",
           "Gevolgen", "Vervolgacties"],
    "en": ["Introduction", "International aspects", "The controller", "Timeline", "About the breach",
           "Which personal data", "People affected", "Protection beforehand", "Consequences", "Follow-up"],
}
QUESTIONS = ["1.1", "1.2", "1.3", "2.1", "2.2", "3.1", "3.2", "3.3", "4.1", "4.2", "4.3", "5.1", "5.2", "5.3",
             "5.4", "6.1", "6.2", "6.3", "7.1", "7.2", "7.3", "8.1", "9.1", "9.2", "9.3", "10.1", "10.2"]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("html", [False, True], ids=["txt", "html"])
def test_ap_notice_follows_the_forms_chapters_and_questions_in_order(language: str, html: bool) -> None:
    out = notice(language, html=html)

    chapters = [f"<h2>{n}. {t}</h2>" if html else f"==== {n}. {t} ===="
                for n, t in enumerate(CHAPTERS[language], start=1)]
    positions = [out.find(c) for c in chapters]
    assert -1 not in positions, [c for c, p in zip(chapters, positions, strict=True) if p == -1]
    assert positions == sorted(positions)
    found = re.findall(r"<h3>(\d+\.\d+)&ensp;" if html else r"^(\d+\.\d+)  ", out, re.MULTILINE)
    assert found == QUESTIONS


@pytest.mark.parametrize("language", LANGUAGES)
def test_ap_notice_says_not_yet_known_where_a_fact_is_missing(language: str) -> None:
    text = notice(language, incident(occurred_from=None, occurred_until=None))

    assert answer(text, "4.1").count(UNKNOWN[language]) == 2
    assert UNKNOWN[language] in answer(text, "7.2")  # no list of people imported yet


def test_ap_notice_gives_the_start_when_it_is_known() -> None:
    view = incident(occurred_from=AWARE - timedelta(days=2))

    assert answer(notice("nl", view), "4.1").startswith("Begin: 2026-11-22 14:30 CET")


@pytest.mark.parametrize("language", LANGUAGES)
def test_reasons_for_delay_4_5_only_when_late(language: str) -> None:
    assert "4.5  " not in notice(language, late=False)
    late = notice(language, late=True)
    assert "2026-11-27 14:30 CET" in answer(late, "4.5")
    assert late.index("4.3  ") < late.index("4.5  ") < late.index("5.1  ")
    assert "4.5" in notice(language, late=True, html=True)


def test_a_follow_up_quotes_the_meldnummer_it_supplements_and_what_changed() -> None:
    assert "enkelvoudige melding" in answer(notice("nl"), "1.1")
    follow_up = answer(notice("nl", version=2, purpose="follow_up", changes="Het aantal is nu bekend."), "1.1")
    assert "Meldnummer van de eerdere melding: M-2026-123456" in follow_up
    assert "Wat is er veranderd sinds de vorige melding: Het aantal is nu bekend." in follow_up


def test_ap_notice_maps_assessment_values_to_the_forms_words() -> None:
    view = incident(assessment=assessment(availability="temporary", integrity="altered_recoverable"))
    text = notice("nl", view)

    nature = answer(text, "5.1")
    assert "persoonsgegevens (mogelijk) ingezien door onbevoegden, onbekend aantal ontvangers" in nature
    assert "tijdelijk niet beschikbaar" in nature and "gewijzigd" in nature
    assert "unknown_recipients" not in text and "altered_recoverable" not in text


def test_special_categories_go_to_6_2_with_the_organisations_own_name() -> None:
    text = notice("nl")

    assert "gezondheid (bij ons: coachverslagen)" in answer(text, "6.2")
    assert "gezondheid" not in answer(text, "6.1")
    assert "naam" in answer(text, "6.1") and "contactgegevens" in answer(text, "6.1")


def test_an_own_name_that_the_forms_words_already_say_is_not_repeated() -> None:
    view = incident(assessment=assessment(categories=["contactgegevens"], vocabulary=["contact"]))
    context = notice_context(view)
    text = render(TEMPLATES, "nl", "authority/notice.txt.j2", **context)

    assert answer(text, "6.1") == "- contactgegevens (adres, e-mailadres, telefoonnummer)"


def test_no_special_categories_says_so() -> None:
    context = notice_context(incident(assessment=assessment(categories=["name", "contact"],
                                                            vocabulary=["contact", "name"])))

    assert answer(render(TEMPLATES, "nl", "authority/notice.txt.j2", **context), "6.2") == "Geen."


def test_every_vocabulary_term_has_words_in_the_notice_and_the_letter() -> None:
    terms = sorted(VOCABULARY)
    notice_text = render(TEMPLATES, "nl", "authority/notice.txt.j2",
                         **notice_context(incident(assessment=assessment(categories=terms, vocabulary=terms))))
    letter = render(TEMPLATES, "nl", "subjects/notice.txt.j2", person={"name": "-name-"},
                    **subject_context(incident(), *terms))

    for text in (notice_text, letter):
        listed = re.findall(r"^- (.*)$", text, re.MULTILINE)
        assert len(listed) > len(terms) / 2
        assert [line for line in listed if re.match(rf"(overig: )?({'|'.join(terms)})\b", line)] == []


@pytest.mark.parametrize(("low", "high", "expected"),
                         [(40, 120, "Minimaal 40, maximaal 120."), (7, 7, "Precies 7.")])
def test_number_of_people_is_a_range_or_exact(low: int, high: int, expected: str) -> None:
    text = notice("nl", incident(assessment=assessment(count_min=low, count_max=high)))

    assert answer(text, "7.3") == expected


def test_contact_person_and_organisation_come_from_the_profile() -> None:
    text = notice("nl")

    assert "Anne Privacy" in answer(text, "3.2") and "06 - 11001098" in answer(text, "3.2")
    organisation = answer(text, "3.1")
    assert "82519587" in organisation and "Gasthuisstraat 26, 4161 CC Heukelum" in organisation
    assert "Google Drive" in answer(text, "3.3")  # processor of the affected system


def test_the_processor_that_caused_the_breach_is_named_in_3_3() -> None:
    view = incident(source_kind="processor", source_processor="Google Drive")
    context = notice_context(view)
    text = render(TEMPLATES, "nl", "authority/notice.txt.j2", **context)

    assert answer(text, "3.3").startswith("Verwerker: Google Drive (documentopslag, IE)")


def test_10_1_follows_the_decision_and_gives_its_reason() -> None:
    told = notice("nl", total=30)
    assert answer(told, "10.1").startswith("Ja")
    assert "30 per e-mail" in answer(told, "10.1")

    reason = "Versleuteld met een veilige sleutel; geen risico."
    decision = DecisionView(False, False, reason, "Anne Privacy", AWARE)
    findings = replace(NO_FINDINGS, unintelligible="encryption")
    view = incident(decision=decision, assessment=assessment(encryption="state_of_the_art"),
                    recommendation=RecommendationView(score=1.5, level="low", dpc=4, ei=1, cb=0.5,
                                                      notify_authority=False, notify_subjects=False,
                                                      public_communication=False, lines=[], findings=findings))
    not_told = answer(notice("nl", view), "10.1")
    assert not_told.startswith("Nee")
    assert "art. 34 lid 3 onder a" in not_told and "Versleuteld met een veilige sleutel" in not_told


def test_10_2_gives_the_measures_or_not_yet_known() -> None:
    assert answer(notice("nl"), "10.2") == "Link ingetrokken; toegang tot de map beperkt."
    assert answer(notice("nl", incident(assessment=assessment(measures=""))), "10.2") == "nog niet bekend"


def test_severity_9_3_uses_the_forms_scale_when_given() -> None:
    context = notice_context(incident(), severity=Severity("high", 3.5))
    text = render(TEMPLATES, "nl", "authority/notice.txt.j2", **context)

    assert answer(text, "9.3").startswith("Ernst: aanzienlijk")
    assert answer(notice("nl"), "9.3").startswith("Ernst: nog niet bekend")


# --- the message to the people affected -------------------------------------------------------------------

@pytest.mark.parametrize("language", LANGUAGES)
def test_subject_notice_greets_by_token_and_names_the_privacy_contact(language: str) -> None:
    mail = render_email(TEMPLATES, language, "subjects/notice", **subject_context(incident()))

    assert "-name-" in mail.text and "-name_html-" in mail.html
    assert "-name_html-" not in mail.text and "-name-," not in mail.html
    for body in (mail.text, mail.html):
        assert "privacy@qoers.nl" in body and "Anne Privacy" in body and "+31 6 11001098" in body
    assert "Qoers" in mail.subject and "\n" not in mail.subject


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_it_experts_technical_text_never_goes_to_the_people(language: str) -> None:
    view = incident()
    mail = render_email(TEMPLATES, language, "subjects/notice", **subject_context(view))

    for body in (mail.text, mail.html):
        assert view.assessment.summary not in body and view.assessment.measures not in body
        assert ("Wij hebben meteen maatregelen genomen" if language == "nl"
                else "We took measures straight away") in body  # the proposal, for the privacy officer to edit


@pytest.mark.parametrize(("names", "advice"), [
    (("contact",), "Klik niet zomaar op een link"),
    (("account_credentials",), "Verander uw wachtwoord"),
    (("bank_account",), "bankafschriften"),
    (("national_id",), "Centraal Meldpunt Identiteitsfraude"),
    (("identity_document",), "gemeente"),
    (("coachverslagen",), "wilt u over dit datalek praten"),
])
def test_subject_advice_follows_the_kinds_of_data(names: tuple[str, ...], advice: str) -> None:
    text = render(TEMPLATES, "nl", "subjects/notice.txt.j2", person={"name": "-name-"},
                  **subject_context(incident(), *names))

    assert advice in text
    assert "U hoeft zelf niets te doen" not in text


@pytest.mark.parametrize(("language", "greeting"),
                         [("nl", "Beste heer/mevrouw,"), ("en", "Dear Sir or Madam,")])
def test_a_person_without_a_name_is_greeted_politely(language: str, greeting: str) -> None:
    fallback = render(TEMPLATES, language, "subjects/anonymous_name.txt.j2").strip()
    mail = render_email(TEMPLATES, language, "subjects/notice", **subject_context(incident()))

    assert mail.text.replace("-name-", fallback).startswith(greeting)


def test_no_phishing_advice_when_the_data_did_not_leave_the_organisation() -> None:
    facts = assessment(confidentiality="none", exfiltration="none", availability="temporary")
    view = incident(assessment=facts)
    text = render(TEMPLATES, "nl", "subjects/notice.txt.j2", person={"name": "-name-"},
                  **subject_context(view, "name", "contact"))

    assert "phishing" not in text and "U hoeft zelf niets te doen" in text


# --- every value the assessment schema allows has words ----------------------------------------------

def allowed(model: type, field: str) -> tuple[str, ...]:
    return get_args(model.model_fields[field].annotation)


FACT_VALUES = [
    (field, value)
    for model, fields in [
        (BreachFacts, ["confidentiality", "integrity", "availability"]),
        (AssessmentFacts.model_fields["data"].annotation, ["ease_of_identification"]),
        (AssessmentFacts.model_fields["subjects"].annotation, ["contact_effort"]),
        (AssessmentFacts.model_fields["protection"].annotation, ["encryption", "hashing"]),
        (AssessmentFacts.model_fields["containment"].annotation, ["exfiltration"]),
    ]
    for field in fields
    for value in allowed(model, field)
]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(("field", "value"), FACT_VALUES)
def test_every_assessment_value_renders_in_words(language: str, field: str, value: str) -> None:
    view = incident(assessment=assessment(**{field: value}))
    outputs = [notice(language, view), notice(language, view, html=True),
               render_email(TEMPLATES, language, "subjects/notice", **subject_context(view)).text]

    for out in outputs:
        if "_" in value:
            assert value not in out


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("source", list(SourceKind))
@pytest.mark.parametrize(("state", "hours_left"), [
    ("running", 12.25), ("overdue", -3.5), ("met", 20.0), ("met_late", -1.0), ("not_required", None),
])
def test_every_source_and_clock_state_renders(language: str, source: SourceKind, state: str,
                                              hours_left: float | None) -> None:
    processor = "Google Drive" if source == SourceKind.PROCESSOR else None
    view = incident(source_kind=source.value, source_processor=processor,
                    authority_clock=ClockView("authority_notice", DUE, state, hours_left))
    mail = render_email(TEMPLATES, language, "team/alert", **alert_context(view))
    text = notice(language, view)

    assert "data_subject" not in text and "data_subject" not in mail.text
    assert str(hours_left) not in mail.text  # hours are shown with a decimal comma, never raw
    if processor:
        assert processor in answer(text, "4.3") and processor in mail.text


# --- hostile input ----------------------------------------------------------------------------------------

def hostile_incident() -> IncidentView:
    return incident(
        title=HOSTILE, description=HOSTILE, reported_by=HOSTILE, systems=[HOSTILE],
        assessment=assessment(summary=HOSTILE, measures=HOSTILE, groups=[HOSTILE]),
        decision=DecisionView(True, True, HOSTILE, "Anne Privacy", AWARE),
    )


def hostile_outputs(language: str) -> list[tuple[str, bool]]:
    """(output, is_html) for every template, with a hostile title, description, summary and so on."""
    view = hostile_incident()
    hostile_category = [{"name": HOSTILE, "vocabulary": "health", "enisa_class": "sensitive", "language": "nl"}]
    alert = render_email(TEMPLATES, language, "team/alert", **alert_context(view))
    letter = render_email(TEMPLATES, language, "subjects/notice",  # the privacy officer's parts, as edited
                          **subject_context(view) | {"categories": hostile_category,
                                                     "parts": dict.fromkeys(PARTS, HOSTILE)})
    context = notice_context(replace(view, assessment=replace(view.assessment, categories=[HOSTILE])))
    return [
        (alert.subject, False), (alert.text, False), (alert.html, True),
        (letter.text, False), (letter.html, True),
        (render(TEMPLATES, language, "authority/notice.txt.j2", **context), False),
        (render(TEMPLATES, language, "authority/notice.html.j2", **context), True),
    ]


@pytest.mark.parametrize("language", LANGUAGES)
def test_hostile_input_is_shown_as_text_never_run(language: str) -> None:
    for out, is_html in hostile_outputs(language):
        assert "{{ 7*7 }}" in out
        assert not re.search(r"\b49\b", out)
        if is_html:
            assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out
            assert "<script" not in out
        else:
            assert "<script>alert(1)</script>" in out


def test_a_doubting_reader_is_sent_to_the_organisations_website_not_to_the_message_itself() -> None:
    """The AP's advice: check a message by going to the organisation's website yourself, never through the
    links or numbers in the message (which a phishing message would fake too)."""
    for language, words, fallback in (("nl", "Ga dan zelf naar onze website", "Zoek dan zelf ons telefoonnummer op"),
                                      ("en", "Go to our website yourself", "Look up our phone number yourself")):
        context = {**subject_context(incident()),
                   "organisation": PROFILE.organisation.model_copy(update={"website": "https://www.qoers.nl"})}
        text = " ".join(render_email(TEMPLATES, language, "subjects/notice", **context).text.split())
        assert f"{words}, https://www.qoers.nl," in text and "onderaan deze e-mail" not in text
        bare = {**context, "organisation": PROFILE.organisation.model_copy(update={"website": ""})}
        assert fallback in " ".join(render_email(TEMPLATES, language, "subjects/notice", **bare).text.split())


def test_the_english_notice_does_not_gloss_the_data_with_the_organisations_dutch_names() -> None:
    """Own category names are in the profile's language (Dutch for Qoers): the Dutch notice names them beside the
    plain words, the English one does not carry Dutch words."""
    context = subject_context(incident())
    dutch = render_email(TEMPLATES, "nl", "subjects/notice", **context).text
    english = render_email(TEMPLATES, "en", "subjects/notice", **context).text
    assert "(coachverslagen)" in dutch and "(coachverslagen)" not in english


@pytest.mark.parametrize(("language", "written"), [("nl", "24 november 2026 om 10:00"),
                                                    ("en", "24 November 2026 at 10:00")])
def test_the_people_read_dates_as_people_write_them_in_dutch_time(language: str, written: str) -> None:
    from datetime import UTC, datetime

    view = incident(discovered_at=datetime(2026, 11, 24, 9, 0, tzinfo=UTC))  # 10:00 in Amsterdam (CET)
    text = " ".join(render_email(TEMPLATES, language, "subjects/notice", **subject_context(view)).text.split())
    assert written in text and "CET" not in text and "2026-11-24" not in text


@pytest.mark.parametrize(("written", "dialled"), [
    ("06-11001098", "+31 6 11001098"), ("020 123 4567", "+31 20 123 4567"), ("0591-123456", "+31 591 123 456"),
    ("0031 6 11001098", "+31 6 11001098"), ("+31 6 11001098", "+31 6 11001098"), ("+32 2 555 01 01", "+32 2 555 01 01"),
    ("not a number", "not a number"),  # left as written
])
def test_a_phone_number_for_the_people_is_written_so_it_can_be_dialled_from_anywhere(written: str,
                                                                                    dialled: str) -> None:
    from incidents.notify.render import international_phone

    assert international_phone(written) == dialled  # libphonenumber's international format


def test_the_notice_gives_the_privacy_contacts_number_in_international_form() -> None:
    contact = PROFILE.privacy_contact.model_copy(update={"phone": "06-11001098"})
    context = {**subject_context(incident()), "privacy_contact": contact}
    text = render_email(TEMPLATES, "nl", "subjects/notice", **context).text
    assert "Telefoon: +31 6 11001098" in text and "06-11001098" not in text


@pytest.mark.parametrize(("source", "dutch"), [
    ("GDPR art. 34(1)", "art. 34 lid 1 AVG"),
    ("GDPR art. 34(3)(a)", "art. 34 lid 3 onder a AVG"),
    ("GDPR art. 9; EDPB Guidelines 01/2021, cases no. 03 and 12",
     "art. 9 AVG; EDPB-richtlijnen 01/2021, voorbeelden 3 en 12"),
    ("EDPB Guidelines 01/2021, case no. 01", "EDPB-richtlijnen 01/2021, voorbeeld 1"),
    ("GDPR recital 75; ENISA 2013 (more than 100 people)", "overweging 75 AVG; de ENISA-methode voor de ernst (2013)"),
    ("GDPR art. 34(1), recitals 75 and 85 (physical harm)", "art. 34 lid 1 AVG, overwegingen 75 en 85"),
])
def test_a_dutch_text_cites_as_dutch_law_is_cited(source: str, dutch: str) -> None:
    from incidents.notify.render import dutch_citation

    assert dutch_citation(source) == dutch


def test_the_reason_for_following_the_advice_reads_as_the_controllers_own() -> None:
    """AP notice 9.3 and 10.1 quote it: sentences, the factors as points in words, no score tag or English
    citation in the Dutch text."""
    advice = {"notify_authority": True, "notify_subjects": False, "public_communication": False,
              "severity": {"level": "high", "score": 3.5},
              "reasons": [{"text": "Het gaat om gegevens over gezondheid.", "source": "GDPR art. 9",
                           "code": "factor_special_categories"},
                          {"text": "Leg het lek vast.", "source": "GDPR art. 33(5)", "code": "document"}]}
    text = render(TEMPLATES, "nl", "recommendation/decision_reason.txt.j2", r=advice)
    assert text.startswith("Wij melden het datalek bij de Autoriteit Persoonsgegevens")
    assert "Wij informeren de betrokkenen niet afzonderlijk" in text
    assert "- Het gaat om gegevens over gezondheid. (art. 9 AVG)" in text and "Leg het lek vast" not in text
    assert "GDPR" not in text and "[" not in text and "3,5" not in text


def test_an_organisation_that_says_je_says_it_throughout_the_dutch_message() -> None:
    """The profile chooses "je" or "u" (organisation.address_form); the Dutch message then never says "u"."""
    view = incident()
    context = subject_context(view)
    je = {**context, "organisation": context["organisation"].model_copy(update={"address_form": "je"})}
    formal = render_email(TEMPLATES, "nl", "subjects/notice", **context)
    informal = render_email(TEMPLATES, "nl", "subjects/notice", **je)
    words = re.findall(r"[A-Za-zé]+", informal.text)
    assert "u" not in words and "uw" not in words and "U" not in words and "Uw" not in words
    assert "Wij moeten je helaas iets vervelends vertellen." in informal.text and "jouw gegevens" in informal.subject
    assert "Wij moeten u helaas" in formal.text
    english = render_email(TEMPLATES, "en", "subjects/notice", **je)
    assert "Dear -name-," in english.text  # English has no such choice


def test_an_organisation_that_says_je_says_it_in_the_update_and_the_public_communication_too() -> None:
    """Not only the first message: the follow-up (its proposal and its frame) and the public communication of
    art. 34(3)(c) follow organisation.address_form as well."""
    from incidents.messages import SUBJECT_UPDATE
    from incidents.services.review import propose

    view = incident()
    context = subject_context(view)
    je = {**context, "organisation": context["organisation"].model_copy(update={"address_form": "je"})}

    def formal_words(text: str) -> set[str]:
        return set(re.findall(r"[A-Za-zé]+", text)) & {"u", "uw", "U", "Uw"}

    for ctx, informal in ((context, False), (je, True)):
        parts = propose(TEMPLATES, "nl", ctx, kind=SUBJECT_UPDATE)
        mail = render_email(TEMPLATES, "nl", "subjects/update", **ctx, parts=parts)
        public = {**ctx, "page_url": "https://www.qoers.nl/datalek", "published_at": AWARE}
        page = render(TEMPLATES, "nl", "public/notice.txt.j2", **public)
        short = render(TEMPLATES, "nl", "public/message.txt.j2", **public)
        for text in (mail.subject, mail.text, page, short):
            assert not informal or formal_words(text) == set(), (formal_words(text), text[:300])
        for text in (mail.text, page, short):  # each of them addresses the reader
            assert informal or formal_words(text), text[:300]
    assert "Eerder hebben wij je verteld" in render_email(
        TEMPLATES, "nl", "subjects/update", **je, parts=propose(TEMPLATES, "nl", je, kind=SUBJECT_UPDATE)).text

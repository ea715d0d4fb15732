"""A report or assessment with a wrong field gets one clear message naming the field."""

from datetime import UTC, datetime, timedelta

import pytest

from incidents.errors import InvalidInput
from incidents.model import AssessmentFacts, IncidentReport
from incidents.validation import parse_model

GOOD = {
    "title": "Drive folder shared by public link",
    "description": "A folder with coaching reports was shared with anyone who has the link.",
    "discovered_at": "2026-11-20T19:42+01:00",
    "aware_at": "2026-11-21T09:10+01:00",
    "awareness_reason": "The next morning the link was opened to confirm other reports were readable.",
    "source": "data_subject",
    "reported_by": "Privacycontact Qoers",
}


def errors_of(data, model=IncidentReport):
    with pytest.raises(InvalidInput) as err:
        parse_model(model, data, "incident report")
    return {e.field: e.message for e in err.value.errors}


def test_a_good_report_parses_with_times_in_utc():
    report = parse_model(IncidentReport, GOOD, "r")
    assert report.aware_at == datetime(2026, 11, 21, 8, 10, tzinfo=UTC)
    assert report.source_processor is None


def test_a_time_without_offset_is_amsterdam_wall_clock():
    report = parse_model(IncidentReport, {**GOOD, "discovered_at": "2026-07-01T10:00", "aware_at": "2026-07-01 11:00"}, "r")
    assert report.discovered_at == datetime(2026, 7, 1, 8, 0, tzinfo=UTC)


def test_without_aware_at_the_72_hours_start_at_discovery_not_at_the_report():
    data = {k: v for k, v in GOOD.items() if k not in ("aware_at", "awareness_reason")}
    report = parse_model(IncidentReport, data, "r")
    assert report.aware_at == report.discovered_at == datetime(2026, 11, 20, 18, 42, tzinfo=UTC)


def test_an_awareness_later_than_the_discovery_needs_the_reason_edpb_9_2022():
    data = {k: v for k, v in GOOD.items() if k != "awareness_reason"}
    message = errors_of(data)["awareness_reason"]
    assert "later than discovered_at" in message and "leave aware_at out" in message
    assert "awareness_reason" in errors_of({**data, "awareness_reason": "checked"})


def test_a_processor_telling_us_later_is_its_own_reason_art_33_2():
    data = {k: v for k, v in GOOD.items() if k != "awareness_reason"}
    report = parse_model(IncidentReport, {**data, "source": "processor:SendinBlue"}, "r")
    assert report.aware_at > report.discovered_at and report.awareness_reason is None


@pytest.mark.parametrize("field", ["title", "description", "discovered_at", "source", "reported_by"])
def test_a_missing_required_field_is_named(field):
    data = {k: v for k, v in GOOD.items() if k != field}
    assert errors_of(data) == {field: "is required"}


def test_an_unknown_field_is_refused_so_no_fact_is_lost():
    errors = errors_of({**GOOD, "discoverd_at": "2026-11-20T19:42+01:00"})
    assert "not a known field" in errors["discoverd_at"]


def test_a_garbled_time_says_what_form_is_expected():
    message = errors_of({**GOOD, "discovered_at": "last tuesday"})["discovered_at"]
    assert "ISO 8601" in message


def test_aware_time_in_the_future_is_refused():
    future = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    assert "future" in errors_of({**GOOD, "aware_at": future})["aware_at"]


def test_occurred_after_aware_is_refused():
    errors = errors_of({**GOOD, "occurred_from": "2026-11-22T09:00+01:00"})
    assert "after aware_at" in errors["occurred_from"]


def test_aware_before_discovery_is_refused():
    errors = errors_of({**GOOD, "aware_at": "2026-11-19T09:00+01:00"})
    assert "before discovered_at" in errors["aware_at"]


@pytest.mark.parametrize("source,expected", [
    ("somebody", "must be internal, processor:<name>, external or data_subject"),
    ("processor:", "name the processor"),
    ("internal:IT", "only a processor source takes a name"),
])
def test_a_bad_source_is_explained(source, expected):
    assert expected in errors_of({**GOOD, "source": source})["source"]


def test_a_processor_source_keeps_its_name():
    report = parse_model(IncidentReport, {**GOOD, "source": "processor: Google Drive"}, "r")
    assert report.source_kind == "processor" and report.source_processor == "Google Drive"


ASSESSMENT = {
    "summary": "Public link to a Drive folder.",
    "data": {"categories": ["health"]},
    "subjects": {"count_min": 10, "count_max": 20},
}


def test_assessment_count_range_must_be_ordered():
    errors = errors_of({**ASSESSMENT, "subjects": {"count_min": 20, "count_max": 10}}, AssessmentFacts)
    assert set(errors) == {"subjects.count_max"}


def test_assessment_vocabulary_is_enforced_with_the_field_path():
    errors = errors_of({**ASSESSMENT, "breach": {"confidentiality": "leaked"}}, AssessmentFacts)
    assert set(errors) == {"breach.confidentiality"}


def test_assessment_typo_in_a_nested_key_is_refused():
    errors = errors_of({**ASSESSMENT, "protection": {"encrypton": "none"}}, AssessmentFacts)
    assert set(errors) == {"protection.encrypton"}

"""A batch is claimed by its row in dispatch_batches, not by its people: on SQLite and PostgreSQL, a run killed
between the claim and the mark sends exactly that batch again and reports it, a delivery event that comes before
the mark keeps its stronger state, and people left 'sending' by an earlier release are still sent again."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import select, update

from incidents import services
from incidents.notify.email import Sent
from incidents.register.tables import AuditRow, DispatchBatchRow, SubjectRow
from incidents.services.deliveries import record_deliveries
from incidents.services.progress import progress
from incidents.webhooks import DeliveryEvent
from tests.integration.test_register import TEMPLATES
from tests.support.decided import ready_to_tell

PEOPLE = 2500  # three batches of one language


class Killed(BaseException):
    """The process died: nothing after the request ran (not an error the dispatch handles)."""


class Mailer:
    """Takes every request and keeps who was in each; `during` runs while request number `at` is in flight."""

    name = "test"

    def __init__(self, at: int | None = None, during=None, kill: bool = False):  # type: ignore[no-untyped-def]
        self.at, self.during, self.kill = at, during, kill
        self.requests: list[list[str]] = []

    def send(self, message, recipients) -> Sent:  # type: ignore[no-untyped-def]
        self.requests.append([r.key for r in recipients])
        if len(self.requests) == self.at:
            if self.during is not None:
                self.during(self.requests[-1])
            if self.kill:
                raise Killed  # the service has the request; the run dies before it can mark anyone
        return Sent(accepted=[r.key for r in recipients], location="test")


@pytest.fixture
def decided(uow, profile, now, tmp_path) -> str:  # type: ignore[no-untyped-def]
    return ready_to_tell(uow, profile, now, PEOPLE, tmp_path)


def notify(uow, profile, mailer, incident_id, now):  # type: ignore[no-untyped-def]
    return services.notify_subjects(uow, profile, mailer, TEMPLATES, incident_id, None, now)


def statuses(uow, incident_id: str) -> dict[int, str]:  # type: ignore[no-untyped-def]
    with uow:
        return dict(uow.session.execute(select(SubjectRow.id, SubjectRow.status)
                                        .where(SubjectRow.incident_id == incident_id)).all())


def key(subject_id: int) -> str:
    return f"subject-{subject_id}"


def test_a_run_killed_after_the_claim_and_before_the_mark_sends_that_batch_again_and_reports_it(
        uow, profile, now, decided):
    killed = Mailer(at=2, kill=True)
    with pytest.raises(Killed):
        notify(uow, profile, killed, decided, now)
    in_flight = killed.requests[1]
    with uow:
        claim = uow.session.execute(select(DispatchBatchRow.language, DispatchBatchRow.first_id,
                                           DispatchBatchRow.last_id, DispatchBatchRow.recipients)
                                    .where(DispatchBatchRow.status == "sending")).one()
    ids = [int(k.removeprefix("subject-")) for k in in_flight]
    assert tuple(claim) == ("nl", ids[0], ids[-1], 1000)
    before = statuses(uow, decided)
    assert Counter(before.values()) == {"sent": 1000, "pending": 1500}  # the claim changed no person's row
    assert all(before[i] == "pending" for i in ids)
    with uow:  # what people read: the batch on its way is 'sending', as each of its people was before
        assert uow.subject_counts(decided) == {"sent": 1000, "sending": 1000, "pending": 500}
    with uow:
        assert progress(uow, uow.incident(decided)).subjects_pending == 1500  # not told yet: in flight or waiting

    again = Mailer()
    outcome = notify(uow, profile, again, decided, now)

    assert again.requests[0] == in_flight  # exactly the batch in flight, first
    received = Counter(k for request in killed.requests + again.requests for k in request)
    assert {k for k, n in received.items() if n > 1} == set(in_flight) and max(received.values()) == 2
    assert (outcome.count, outcome.why, outcome.again) == (1500, "resent", 1000)
    assert Counter(statuses(uow, decided).values()) == {"sent": PEOPLE}
    with uow:
        audit = uow.session.scalars(select(AuditRow.details).where(AuditRow.action == "subjects_notified")).one()
        left = uow.session.scalar(select(DispatchBatchRow.id).where(DispatchBatchRow.status == "sending"))
    assert '"sent_again_after_crash":1000' in audit and left is None


def test_a_claimed_batch_whose_people_the_service_confirmed_is_not_sent_again(uow, profile, now, decided):
    """Killed before the mark, but SendGrid's events about every person of the batch came in: nobody is resent."""
    killed = Mailer(at=1, kill=True)
    with pytest.raises(Killed):
        notify(uow, profile, killed, decided, now)
    events = [DeliveryEvent(decided, int(k.removeprefix("subject-")), "delivered") for k in killed.requests[0]]
    assert record_deliveries(uow, events, now).changed == {"delivered": 1000}

    again = Mailer()
    outcome = notify(uow, profile, again, decided, now)

    assert not set(killed.requests[0]) & {k for request in again.requests for k in request}
    assert (outcome.count, outcome.again) == (1500, 0)
    assert Counter(statuses(uow, decided).values()) == {"delivered": 1000, "sent": 1500}


def test_an_event_that_comes_before_the_mark_keeps_its_stronger_state(uow, profile, now, decided):
    """SendGrid's events can reach the webhook before the dispatcher marks the batch: the person is still
    pending then, the event is applied, and the mark does not overwrite it. An event about a person of a batch
    not yet claimed changes nothing."""
    seen = {}

    def events_arrive(in_flight: list[str]) -> None:
        ids = [int(k.removeprefix("subject-")) for k in in_flight]
        seen["ids"] = ids
        seen["recorded"] = record_deliveries(uow, [
            DeliveryEvent(decided, ids[0], "delivered"),
            DeliveryEvent(decided, ids[1], "bounced", "550 no such user"),
            DeliveryEvent(decided, ids[-1] + 1, "delivered"),  # next batch: not claimed, not sent
        ], now)

    outcome = notify(uow, profile, Mailer(at=1, during=events_arrive), decided, now)

    assert outcome.count == PEOPLE
    assert seen["recorded"].changed == {"bounced": 1, "delivered": 1} and seen["recorded"].unchanged == 1
    after = statuses(uow, decided)
    ids = seen["ids"]
    assert (after[ids[0]], after[ids[1]], after[ids[2]], after[ids[-1] + 1]) == ("delivered", "bounced", "sent",
                                                                                 "sent")
    with uow:
        assert uow.session.get(SubjectRow, ids[1]).problem == "550 no such user"


def test_people_left_sending_by_an_earlier_release_are_sent_again_and_reported(uow, profile, now, decided):
    """A run of the release before the batch claim marked each person of its batch 'sending' and kept no range
    in the batch row; after the upgrade, the next run sends those people again first and counts them."""
    with uow:
        ids = list(uow.session.scalars(select(SubjectRow.id).where(SubjectRow.incident_id == decided)
                                       .order_by(SubjectRow.id).limit(1000)))
        uow.session.execute(update(SubjectRow).where(SubjectRow.id.in_(ids)).values(status="sending"))
        uow.session.add(DispatchBatchRow(incident_id=decided, batch_key=f"{decided}:subject_notice:nl:{ids[0]}-"
                                         f"{ids[-1]}", kind="subject_notice", status="sending", recipients=1000,
                                         attempts=1, started_at=now))
        uow.commit()

    mailer = Mailer()
    outcome = notify(uow, profile, mailer, decided, now)

    assert mailer.requests[0] == [key(i) for i in ids]
    assert sum(len(r) for r in mailer.requests) == PEOPLE
    assert (outcome.count, outcome.again) == (PEOPLE, 1000)
    assert Counter(statuses(uow, decided).values()) == {"sent": PEOPLE}


def test_a_refused_batch_leaves_its_people_pending_and_claims_them_no_longer(uow, profile, now, decided):
    """The service refused the second request: the first batch is marked, the second's people stay pending and
    its row says 'failed', so an event about one of them changes nothing (the service never took it)."""
    from incidents.errors import DispatchFailed

    class Refusing(Mailer):
        def send(self, message, recipients) -> Sent:  # type: ignore[no-untyped-def]
            self.requests.append([r.key for r in recipients])
            if len(self.requests) == 2:
                raise DispatchFailed("400 from.email")
            return Sent(accepted=[r.key for r in recipients], location="test")

    mailer = Refusing()
    with pytest.raises(DispatchFailed):
        notify(uow, profile, mailer, decided, now)
    refused = int(mailer.requests[1][0].removeprefix("subject-"))
    assert Counter(statuses(uow, decided).values()) == {"sent": 1000, "pending": 1500}
    with uow:
        assert sorted(uow.session.scalars(select(DispatchBatchRow.status))) == ["accepted", "failed"]
    assert record_deliveries(uow, [DeliveryEvent(decided, refused, "delivered")], now).unchanged == 1


def test_the_follow_up_claims_by_batch_too_and_an_early_event_about_it_stays(uow, profile, now, decided):
    """The follow-up has its own status and its own batches: an event about it that comes before its mark is
    applied to the follow-up's status, and the first message's status is left as it was."""
    from incidents.messages import SUBJECT_UPDATE
    from tests.integration.test_update import CHANGED, FOUND

    notify(uow, profile, Mailer(), decided, now)
    services.draft_message(uow, profile, TEMPLATES, decided, "po", now, kind=SUBJECT_UPDATE)
    services.edit_message(uow, profile, TEMPLATES, decided, {"nl": {"found": FOUND["nl"], "changed": CHANGED["nl"]}},
                          "po", now, kind=SUBJECT_UPDATE)
    services.approve_message(uow, decided, "po", now, kind=SUBJECT_UPDATE)
    early = {}

    def event_arrives(in_flight: list[str]) -> None:
        early["id"] = int(in_flight[0].removeprefix("subject-"))
        record_deliveries(uow, [DeliveryEvent(decided, early["id"], "delivered", kind=SUBJECT_UPDATE)], now)

    outcome = services.notify_update(uow, profile, Mailer(at=2, during=event_arrives), TEMPLATES, decided, None, now)

    assert outcome.count == PEOPLE
    with uow:
        rows = uow.session.execute(select(SubjectRow.id, SubjectRow.status, SubjectRow.update_status)
                                   .where(SubjectRow.incident_id == decided)).all()
    assert {sid: (status, update) for sid, status, update in rows}[early["id"]] == ("sent", "delivered")
    assert Counter((status, update) for _, status, update in rows) == {("sent", "sent"): PEOPLE - 1,
                                                                        ("sent", "delivered"): 1}

"""SendGrid's Event Webhook at scale: N people notified, then their delivery events (processed, delivered, and a
share of deferrals and bounces) taken in signed requests the way SendGrid posts them, through the dashboard's
endpoint: signature check, parsing, and the status updates in the register.

    .venv/bin/python benchmarks/dispatch.py is the dispatch; this is what comes back afterwards:
    .venv/bin/python benchmarks/deliveries.py [--people 100000] [--per-request 1000] [--database-url URL]

Prints events/s, requests, wall time and peak RSS.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    sys.path.insert(0, str(ROOT))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--per-request", type=int, default=1_000, help="events in one webhook request")
    parser.add_argument("--database-url", help="an empty scratch database instead of a new SQLite file")
    args = parser.parse_args(argv)

    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    public = base64.b64encode(key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)).decode()
    home = Path(tempfile.mkdtemp(prefix="breach-bench-"))
    os.environ.update({"BREACH_HOME": str(home), "BREACH_PROFILE": str(ROOT / "examples/qoers/profile.yaml"),
                       "BREACH_SENDGRID_WEBHOOK_PUBLIC_KEY": public})
    if args.database_url:
        os.environ["BREACH_DATABASE_URL"] = args.database_url
    from fastapi.testclient import TestClient
    from shared import assessed_incident
    from sqlalchemy import select, update

    from breach.web import create_app
    from incidents import services
    from incidents.register.tables import SubjectRow
    from incidents.webhooks import SIGNATURE_HEADER, TIMESTAMP_HEADER
    from incidents.workspace import Workspace

    try:
        ws = Workspace()
        now = datetime.now(UTC)
        incident_id = assessed_incident(ws, now)
        csv_path = home / "people.csv"
        with csv_path.open("w", encoding="utf-8") as f:
            f.write("name,email\n")
            for i in range(args.people):
                f.write(f"Persoon {i},persoon{i}@example.com\n")
        services.import_subjects(ws.uow(), incident_id, csv_path, "bench", now)
        with ws.uow() as uow:  # as the dispatch leaves them: the service took the notice for everyone
            uow.session.execute(update(SubjectRow).values(status="sent", notified_at=now))
            ids = list(uow.session.scalars(select(SubjectRow.id).order_by(SubjectRow.id)))
            uow.commit()

        def events_of(subject_id: int) -> list[dict[str, object]]:
            common = {"email": f"persoon{subject_id}@example.com", "timestamp": int(time.time()),
                      "incident_id": incident_id, "kind": "subject_notice",
                      "batch": f"{incident_id}:subject_notice:1", "recipient": f"subject-{subject_id}"}
            names = ["processed", "delivered"]
            if subject_id % 20 == 0:
                names = ["processed", "deferred", "delivered"]
            if subject_id % 50 == 0:
                names = ["processed", "bounce"]
            return [{**common, "event": n, "sg_event_id": f"{subject_id}-{n}", "reason": "550 no such user"}
                    for n in names]

        def requests_of() -> Iterator[list[dict[str, object]]]:  # made as they are sent: memory stays flat
            pending: list[dict[str, object]] = []
            for sid in ids:
                pending.extend(events_of(sid))
                if len(pending) >= args.per_request:
                    yield pending[:args.per_request]
                    pending = pending[args.per_request:]
            if pending:
                yield pending

        client = TestClient(create_app(ws, launcher=lambda *a: None))
        t0 = time.perf_counter()
        requests = events = 0
        for chunk in requests_of():
            events += len(chunk)
            body = json.dumps(chunk).encode()
            stamp = str(int(time.time()))
            signature = base64.b64encode(key.sign(stamp.encode() + body, ec.ECDSA(hashes.SHA256()))).decode()
            answer = client.post("/webhooks/sendgrid/events", content=body, headers={
                "Content-Type": "application/json", SIGNATURE_HEADER: signature, TIMESTAMP_HEADER: stamp})
            if answer.status_code != 200:
                raise SystemExit(f"request {requests + 1}: HTTP {answer.status_code}: {answer.text}")
            requests += 1
        t1 = time.perf_counter()
        with ws.uow() as uow:
            counts = uow.subject_counts(incident_id)
    finally:
        shutil.rmtree(home, ignore_errors=True)

    print(f"register                       {ws.settings.database_url.split(':', 1)[0]}")
    print(f"people                         {args.people}")
    print(f"events                         {events} in {requests} signed requests of up to {args.per_request}")
    print(f"taken (verify, parse, update)  {t1 - t0:8.2f} s   {events / (t1 - t0):10.0f} events/s")
    print(f"statuses after                 {dict(sorted(counts.items()))}")
    print(f"peak RSS                       {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:8.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())

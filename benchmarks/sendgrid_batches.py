"""How fast the SendGrid backend hands recipients over: the real client against the fake server on loopback.

    .venv/bin/python benchmarks/sendgrid_batches.py [--recipients 100000] [--batch-size 1000]

Prints the requests made, the seconds taken and recipients per second, and separately how long building the
request bodies alone takes (plain dicts, substitutions included), so a slowdown can be placed. Network
latency to SendGrid is not in it: against the real service, expect the request round trips to dominate.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))  # the repository root, for tests.support
    from incidents.notify.email import Address, Message, Recipient, batched
    from incidents.notify.sendgrid_backend import SendGridBackend, batch_key
    from tests.support.fake_sendgrid import FakeSendGrid

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=100_000)
    parser.add_argument("--batch-size", type=int, default=1000)
    args = parser.parse_args(argv)

    message = Message(
        sender=Address("privacy@voorbeeld.nl", "Privacy Voorbeeld BV"),
        subject="Datalek bij Voorbeeld BV, -name-",
        text="Beste -name-,\n\n" + "Op 24 november 2026 is er een datalek geweest. " * 40,
        html="<p>Beste -name_html-,</p>" + "<p>Op 24 november 2026 is er een datalek geweest.</p>" * 40,
        kind="subject_notice",
        incident_id="DL-2026-0001",
        reply_to=Address("fg@voorbeeld.nl", "Functionaris gegevensbescherming"),
        custom_args={"language": "nl"},
    )
    recipients = [
        Recipient(f"subject-{i}", Address(f"person{i}@voorbeeld.nl", f"Persoon {i}"),
                  {"name": f"Persoon {i} <Zn>"})
        for i in range(args.recipients)
    ]

    with FakeSendGrid() as fake:
        backend = SendGridBackend(api_key="SG.benchmark", host=fake.url, batch_size=args.batch_size)

        started = time.perf_counter()
        for number, chunk in enumerate(batched(recipients, args.batch_size), start=1):
            backend.payload(message, chunk, batch_key(message, number))
        building = time.perf_counter() - started

        started = time.perf_counter()
        sent = backend.send(message, recipients)
        seconds = time.perf_counter() - started

        requests = fake.requests
        sizes = fake.personalization_counts()
        sent_bytes = sum(len(r.raw) for r in requests)

    assert len(sent.accepted) == len(recipients), "not every recipient was accepted"
    print(f"recipients        {len(recipients):>12,}")
    print(f"requests made     {len(requests):>12,}  (largest {max(sizes, default=0):,} personalizations)")
    per_request = sent_bytes / max(len(requests), 1) / 1024
    print(f"request bytes     {sent_bytes:>12,}  ({per_request:,.0f} KiB a request)")
    print(f"seconds           {seconds:>12.2f}")
    print(f"recipients/s      {len(recipients) / seconds:>12,.0f}")
    per_recipient = building / max(len(recipients), 1) * 1e6
    print(f"building bodies   {building:>12.2f} s  ({per_recipient:.1f} µs a recipient)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

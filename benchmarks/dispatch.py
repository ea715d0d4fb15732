"""Subject notification end to end: import -> render -> dispatch through the real sendgrid client against a
loopback server, and the same data through a naive loop (one send() per person) for comparison.

    .venv/bin/python benchmarks/dispatch.py [--people 100000] [--naive 3000] [--database-url URL]

Prints people/s, requests made, wall time per phase and peak RSS. "import + dispatch" is the two phases a
machine does (reading the list, telling everyone); the review between them (the decision, the draft, its
approval) is a person's clicks and is printed apart, as is the start of the loopback server. The naive loop runs
on the first --naive people of the same register (a full naive run of 100 000 requests takes minutes) and its
rate is compared; --naive 0 skips it.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def sink(port_queue) -> None:  # type: ignore[no-untyped-def]
    """A fast mail-send stand-in in its own process (spawned, not forked: a forked copy of this process's heap
    slowed every answer by its garbage collections): reads each request, answers 202, parses nothing."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:  # type: ignore[no-untyped-def]
            pass

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(202)
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    port_queue.put(server.server_address[1])
    server.serve_forever()


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    sys.path.insert(0, str(ROOT))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--naive", type=int, default=3_000)
    parser.add_argument("--database-url", help="run on this (empty, scratch) database instead of a new SQLite "
                        "file, e.g. postgresql+psycopg://breach:breach@127.0.0.1/breach_bench; its rows stay")
    args = parser.parse_args(argv)

    home = Path(tempfile.mkdtemp(prefix="breach-bench-"))
    os.environ.update({"BREACH_HOME": str(home), "BREACH_PROFILE": str(ROOT / "examples/qoers/profile.yaml")})
    if args.database_url:
        os.environ["BREACH_DATABASE_URL"] = args.database_url
    import multiprocessing

    from shared import assessed_incident

    from incidents import services
    from incidents.model import Decision
    from incidents.notify.email import Address, Message, Recipient
    from incidents.notify.sendgrid_backend import SendGridBackend
    from incidents.workspace import Workspace

    ws = Workspace()
    now = datetime.now(UTC)
    incident_id = assessed_incident(ws, now)

    csv_path = home / "people.csv"
    t0 = time.perf_counter()
    with csv_path.open("w", encoding="utf-8") as f:
        f.write("name,email,language\n")
        for i in range(args.people):
            f.write(f"Persoon {i},persoon{i}@example.com,{'en' if i % 9 == 0 else 'nl'}\n")
    t1, c1 = time.perf_counter(), time.process_time()
    services.import_subjects(ws.uow(), incident_id, csv_path, "bench", now)
    t2, c2 = time.perf_counter(), time.process_time()
    # the review before anyone is told, a person's clicks: the decision, the draft approved as written (timed
    # apart: not part of importing and sending)
    services.record_decision(ws.uow(), incident_id, Decision(notify_authority=False, notify_subjects=True,
                                                             reason="benchmark of the dispatch"), "bench", now)
    r1 = time.perf_counter()
    services.draft_message(ws.uow(), ws.profile, ws.settings.templates_dir, incident_id, "bench", now)
    r2 = time.perf_counter()
    services.approve_message(ws.uow(), incident_id, "bench", now)
    r3 = time.perf_counter()
    ports: multiprocessing.Queue[int] = multiprocessing.get_context("spawn").Queue()
    server = multiprocessing.get_context("spawn").Process(target=sink, args=(ports,), daemon=True)
    server.start()
    try:
        mailer = SendGridBackend(api_key="SG.bench", host=f"http://127.0.0.1:{ports.get(timeout=10)}")
        t3, c3 = time.perf_counter(), time.process_time()
        outcome = services.notify_subjects(ws.uow(), ws.profile, mailer, ws.settings.templates_dir, incident_id,
                                           None, now)
        t4, c4 = time.perf_counter(), time.process_time()
        with ws.uow() as uow:
            from sqlalchemy import func, select

            from incidents.register.tables import DispatchBatchRow

            batched_requests = uow.session.scalar(select(func.count()).select_from(DispatchBatchRow))

        # the naive loop: one request per person, the same message, on the first --naive people
        message = Message(sender=Address("info@qoers.nl", "Qoers"), subject="Datalek", text="Beste -name-,",
                          html="<p>Beste -name_html-,</p>", kind="subject_notice", incident_id=incident_id)
        people = [Recipient(f"subject-{i}", Address(f"persoon{i}@example.com", f"Persoon {i}"),
                            {"name": f"Persoon {i}"}) for i in range(args.naive)]
        t5 = time.perf_counter()
        for person in people:
            mailer.send(message, [person])
        t6 = time.perf_counter()
    finally:
        server.terminate()
        shutil.rmtree(home, ignore_errors=True)  # the register and the CSV: 250 MB at a million people

    dispatch_rate = outcome.count / (t4 - t3)
    naive_rate = args.naive / (t6 - t5) if args.naive else 0.0
    print(f"register                       {ws.settings.database_url.split(':', 1)[0]}")
    print(f"people                         {args.people}")
    print(f"write CSV                      {t1 - t0:8.2f} s")
    print(f"import (stream, validate)      {t2 - t1:8.2f} s   {args.people / (t2 - t1):10.0f} people/s   "
          f"cpu {c2 - c1:.2f} s")
    print(f"dispatch (render, batch, send) {t4 - t3:8.2f} s   {dispatch_rate:10.0f} people/s   "
          f"cpu {c4 - c3:.2f} s   {batched_requests} requests")
    if args.naive:
        print(f"naive loop on {args.naive:<6}           {t6 - t5:8.2f} s   {naive_rate:10.0f} people/s   "
              f"{args.naive} requests")
        print(f"batched / naive                {dispatch_rate / naive_rate:8.1f} x")
    print(f"import + dispatch              {(t2 - t1) + (t4 - t3):8.2f} s   cpu {(c2 - c1) + (c4 - c3):.2f} s "
          "(this process's; on a busy machine the steadier figure)")
    print(f"review (a person's clicks)     {r3 - t2:8.2f} s   decide {r1 - t2:.2f} s, draft {r2 - r1:.2f} s, "
          f"approve {r3 - r2:.2f} s; not in the sum above")
    print(f"peak RSS                       {peak_rss_mb():8.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())

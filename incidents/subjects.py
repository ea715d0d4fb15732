"""Affected people: read from a CSV (streamed), validated, duplicates merged, linked to an incident."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from email_validator import EmailNotValidError, validate_email

from incidents.errors import FieldError, InvalidInput

LANGUAGES = ("nl", "en")
HEADER_ALIASES = {
    "name": "name", "naam": "name", "full_name": "name",
    "email": "email", "e-mail": "email", "e_mail": "email", "emailadres": "email", "e-mailadres": "email",
    "language": "language", "taal": "language", "lang": "language",
}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
MAX_PROBLEMS_SHOWN = 20


@dataclass(frozen=True)
class Person:
    line: int
    name: str
    email: str | None  # normalised; None when the address is unusable
    email_key: str
    language: str
    problem: str | None  # why the address is unusable (then the person needs another channel)


@dataclass
class ReadReport:
    rows: int = 0
    duplicates: int = 0
    unreachable: list[tuple[int, str]] = field(default_factory=list)  # (line, reason): no addresses echoed


# An ordinary ASCII address (dot-atom local part) is checked here, and its domain once per domain by
# email_validator; anything else (non-ASCII, quoted local parts) goes through email_validator in full.
_DOT_ATOM = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")


@lru_cache(maxsize=65536)
def _domain(domain: str) -> str:
    return validate_email(f"x@{domain}", check_deliverability=False).ascii_domain


def normalise_address(raw: str) -> str:
    """The address as it will be used, or EmailNotValidError saying what is wrong (syntax, not deliverability)."""
    local, at, domain = raw.rpartition("@")
    if at and raw.isascii() and len(raw) <= 254 and len(local) <= 64 and _DOT_ATOM.fullmatch(local):
        return f"{local}@{_domain(domain)}"
    return validate_email(raw, check_deliverability=False).normalized


def clean_text(value: str) -> str:
    """Control characters (newlines in a name would break an e-mail header) become spaces."""
    return " ".join(_CONTROL.sub(" ", value).split())


def _dialect(first_line: str) -> str:
    return ";" if first_line.count(";") > first_line.count(",") else ","


def read_people(path: Path, report: ReadReport) -> Iterator[Person]:
    """Yield each distinct person in file order; raise InvalidInput on structural problems.

    Streams the file: memory grows with the set of seen addresses only. UTF-8 with or without BOM,
    `;` or `,` as separator. Unusable addresses are not dropped: the person is kept with the reason,
    so nobody is silently skipped.
    """
    what = f"subjects file {path}"
    try:
        handle = path.open("r", encoding="utf-8-sig", newline="")
    except FileNotFoundError:
        raise InvalidInput(what, [FieldError("file", f"{path} does not exist")]) from None
    with handle:
        try:
            first = handle.readline()
        except UnicodeDecodeError:
            raise InvalidInput(what, [FieldError("file", "is not UTF-8 text; save it as CSV UTF-8")]) from None
        if not first.strip():
            raise InvalidInput(what, [FieldError("header", "the file is empty; expected a header: name,email,language")])
        delimiter = _dialect(first)
        header = next(csv.reader(io.StringIO(first), delimiter=delimiter))
        columns = [HEADER_ALIASES.get(h.strip().lower()) for h in header]
        missing = [c for c in ("name", "email") if c not in columns]
        if missing:
            raise InvalidInput(what, [FieldError("header", f"column {c!r} is missing; the header must name "
                                                 "name, email and optionally language") for c in missing])
        index = {c: i for i, c in enumerate(columns) if c}
        seen: set[str] = set()
        problems: list[FieldError] = []
        reader = csv.reader(handle, delimiter=delimiter)
        try:
            for line_no, row in enumerate(reader, start=2):
                if not any(cell.strip() for cell in row):
                    continue
                report.rows += 1
                cells = row + [""] * (len(header) - len(row))
                name = clean_text(cells[index["name"]])[:300]
                raw_email = cells[index["email"]].strip()
                language = cells[index["language"]].strip().lower() if "language" in index else ""
                language = language or "nl"
                if language not in LANGUAGES:
                    problems.append(FieldError(f"line {line_no}: language",
                                               f"{language!r} is not supported; use nl or en (empty means nl)"))
                    continue
                email: str | None
                problem = None
                try:
                    email = normalise_address(raw_email)
                    key = email.lower()
                except EmailNotValidError as exc:
                    email, key = None, f"line:{line_no}"
                    problem = "no e-mail address" if not raw_email else str(exc)
                    report.unreachable.append((line_no, problem))
                if key in seen:
                    report.duplicates += 1
                    continue
                seen.add(key)
                yield Person(line_no, name, email, key, language, problem)
        except UnicodeDecodeError:
            problems.append(FieldError("file", "is not UTF-8 text; save it as CSV UTF-8"))
        except csv.Error as exc:
            problems.append(FieldError(f"line {reader.line_num}", f"cannot be read as CSV: {exc}"))
        if problems:
            shown = problems[:MAX_PROBLEMS_SHOWN]
            if len(problems) > MAX_PROBLEMS_SHOWN:
                shown.append(FieldError("...", f"{len(problems) - MAX_PROBLEMS_SHOWN} more problems"))
            raise InvalidInput(what, shown)

"""Affected people: read from a CSV file or a SQL query (streamed), validated, duplicates merged.

Both sources feed one reader: a source opens as column names plus numbered rows, and `read_source` turns rows
into people with the same validation, the same merging of duplicates and the same handling of unusable
addresses, whichever source they came from.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple, Protocol
from urllib.parse import quote

from email_validator import EmailNotValidError, validate_email

from incidents.errors import FieldError, InvalidInput
from incidents.notify.render import LANGUAGES  # the languages the templates speak
from incidents.said import Said

HEADER_ALIASES = {
    "name": "name", "naam": "name", "full_name": "name",
    "email": "email", "e-mail": "email", "e_mail": "email", "emailadres": "email", "e-mailadres": "email",
    "language": "language", "taal": "language", "lang": "language",
    # a name in parts, as administrations keep it
    "given_name": "given", "first_name": "given", "firstname": "given", "voornaam": "given", "roepnaam": "given",
    "infix": "infix", "prefix": "infix", "tussenvoegsel": "infix", "tussenvoegsels": "infix",
    "family_name": "family", "last_name": "family", "lastname": "family", "surname": "family",
    "achternaam": "family", "familienaam": "family",
    # a postal address, for a letter: whole (lines separated by newlines or " / "), or in parts
    "address": "address", "postal_address": "address", "adres": "address", "postadres": "address",
    "street": "street", "straat": "street", "house_number": "number", "huisnummer": "number",
    "postcode": "postcode", "postal_code": "postcode", "zip": "postcode",
    "city": "city", "plaats": "city", "woonplaats": "city", "country": "country", "land": "country",
}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
MAX_PROBLEMS_SHOWN = 20
SQL_BATCH = 1000  # rows fetched from a source database at a time

# A person's notification status, in the order a notice travels. Delivery events (SendGrid's Event Webhook) move
# a person from sent to deferred, delivered, bounced or dropped (incidents.webhooks has the rules).
STATUSES = ("pending", "sending", "sent", "deferred", "delivered", "bounced", "dropped", "unreachable", "posted")
ACCEPTED = ("sent", "deferred", "delivered", "bounced", "dropped")  # the mail service took the message
OTHER_CHANNEL = ("unreachable", "bounced", "dropped")  # these people need a letter or a phone call


POSTED = "posted"  # a letter was written and recorded as posted: told by post (incidents.services.letters)


def notified(counts: Mapping[str, int]) -> int:
    """How many people were told: the mail service took their notice (whatever the delivery events said since),
    or their letter was posted."""
    return sum(counts.get(status, 0) for status in (*ACCEPTED, POSTED))


class Person(NamedTuple):
    """One person as read. A tuple, not a dataclass: an import makes one per row (a million in a large list),
    and its fields go to the register's bulk insert in this order."""

    line: int  # the line of the CSV file, or the row number of the query's result
    name: str
    email: str | None  # normalised; None when the address is unusable
    email_key: str
    language: str
    problem: str | None  # why the address is unusable (then the person needs another channel)
    postal_address: str | None = None  # lines separated by "\n", for a letter


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
    # Most cells are clean already, and this runs for every cell of an import. Printable text has no control
    # characters and no whitespace but the plain space, so without doubled or outer spaces it is its own result.
    if value.isprintable() and "  " not in value and value[:1] != " " and value[-1:] != " ":
        return value
    return " ".join(_CONTROL.sub(" ", value).split())


def full_name(given: str, infix: str, family: str) -> str:
    """A name kept in parts as people write it whole: given name, then the Dutch infix (tussenvoegsel) and the
    family name: "Gerrit", "de", "Vries" is "Gerrit de Vries"; without a given name the infix starts with a
    capital ("De Vries"), as Dutch writes it at the start."""
    given, infix, family = clean_text(given), clean_text(infix), clean_text(family)
    if infix and not given:
        infix = infix[:1].upper() + infix[1:]
    return " ".join(part for part in (given, infix, family) if part)


def postal_address(whole: str, street: str, number: str, postcode: str, city: str, country: str) -> str | None:
    """A postal address as lines for an envelope's window: "Dorpsstraat 1", "1234 AB  Ergens" (the postcode in
    its Dutch form, two spaces before the town, as PostNL asks), and the country when it is not the Netherlands.
    A whole address is split at newlines or " / "."""
    if whole.strip():
        lines = [clean_text(line).strip() for line in re.split(r"\r?\n| / ", whole) if line.strip()]
        return "\n".join(lines[:6]) or None
    street_line = " ".join(p for p in (clean_text(street).strip(), clean_text(number).strip()) if p)
    code = clean_text(postcode).strip().upper()
    if m := re.fullmatch(r"(\d{4})\s*([A-Z]{2})", code):
        code = f"{m.group(1)} {m.group(2)}"
    town = clean_text(city).strip().upper() if code else clean_text(city).strip()
    place = "  ".join(p for p in (code, town) if p)
    land = clean_text(country).strip()
    lines = [street_line, place] + ([land.upper()] if land and land.lower() not in ("nl", "nederland",
                                                                                  "netherlands") else [])
    return "\n".join(line for line in lines if line) or None


def display_name(value: str) -> str:
    """A name as people write it: an administration's "Vries, Gerrit de" (surname first, then the given name and
    the Dutch infix) becomes "Gerrit de Vries", so a message does not open with "Beste Vries, Gerrit de". A name
    with no comma, or with more than one, is left as written."""
    name = clean_text(value)
    surname, comma, rest = name.partition(",")
    if comma and "," not in rest and surname.strip() and rest.strip():
        return f"{rest.strip()} {surname.strip()}"
    return name


# --- sources ----------------------------------------------------------------------------------------------

class SourceBroken(Exception):
    """A source cannot be read further (bad encoding, broken CSV quoting, a failing query)."""

    def __init__(self, error: FieldError):
        super().__init__(str(error))
        self.error = error


@dataclass
class Opened:
    """An opened source: its column names and its rows (text cells, '' for none), each numbered as the user
    would find it."""

    columns: Sequence[str]
    rows: Iterator[tuple[int, Sequence[str]]]


class Source(Protocol):
    kind: str  # csv | sql: recorded in the audit trail
    what: Said | str  # how errors name the source (never with a password)
    unit: str  # how a position is called: line | row
    columns_field: str  # the field an error about the columns names

    def open(self) -> AbstractContextManager[Opened]:
        """The opened source, for a `with` block that ends reading it."""
        ...

    def fraction(self) -> float | None:
        """How much of the source was read, 0..1, or None when that cannot be known."""
        ...


class CsvSource:
    """A CSV file: UTF-8 with or without BOM, `;` or `,` as separator, a header naming the columns."""

    kind = "csv"
    unit = "line"
    columns_field = "header"

    def __init__(self, path: Path):
        self.path = path
        self.what: Said | str = Said("subjects.file", path=path)
        self._raw: io.FileIO | None = None
        self._size = 0

    def fraction(self) -> float | None:
        if self._raw is None or self._raw.closed or not self._size:
            return None
        return min(1.0, self._raw.tell() / self._size)  # bytes the reader has taken so far

    @contextmanager
    def open(self) -> Iterator[Opened]:
        try:
            raw = io.FileIO(self.path, "r")
        except FileNotFoundError:
            raise InvalidInput(self.what, [FieldError("file", Said("subjects.file_missing", path=self.path))]) from None
        except IsADirectoryError:
            raise InvalidInput(self.what, [FieldError("file", Said("subjects.file_is_a_folder", path=self.path))]) \
                from None
        except PermissionError:
            raise InvalidInput(self.what, [FieldError("file", Said("subjects.file_not_readable", path=self.path))]) \
                from None
        self._raw, self._size = raw, Path(self.path).stat().st_size
        handle = io.TextIOWrapper(io.BufferedReader(raw, 1 << 16), encoding="utf-8-sig", newline="")
        with handle:
            try:
                first = handle.readline()
            except UnicodeDecodeError:
                raise InvalidInput(self.what, [FieldError("file", Said("subjects.not_utf8"))]) from None
            if not first.strip():
                raise InvalidInput(self.what, [FieldError("header", Said("subjects.file_empty"))])
            delimiter = ";" if first.count(";") > first.count(",") else ","
            header = next(csv.reader(io.StringIO(first), delimiter=delimiter))
            yield Opened(header, self._rows(csv.reader(handle, delimiter=delimiter)))

    @staticmethod
    def _rows(reader) -> Iterator[tuple[int, Sequence[str]]]:  # type: ignore[no-untyped-def]
        try:
            yield from enumerate(reader, start=2)
        except UnicodeDecodeError:
            raise SourceBroken(FieldError("file", Said("subjects.not_utf8"))) from None
        except csv.Error as exc:  # the header was read apart from the reader: one line more than it counted
            raise SourceBroken(FieldError(f"line {reader.line_num + 1}", Said("subjects.not_csv", problem=str(exc)))) \
                from None


class SqlSource:
    """The result of one SELECT on a customer database (any SQLAlchemy URL of SQLite or PostgreSQL), read only.

    The connection is opened read-only where the driver allows it (SQLite: a `mode=ro` URI and query_only;
    PostgreSQL: SET TRANSACTION READ ONLY) and only a single SELECT (or WITH ... SELECT) is accepted; still,
    give it a database account that may only read. Rows are fetched 1 000 at a time through a server-side
    cursor, so a result of any size takes little memory.
    """

    kind = "sql"
    unit = "row"
    columns_field = "query"

    def __init__(self, url: str, query: str):
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            self.url = make_url(url)
        except (ArgumentError, ValueError):
            raise InvalidInput("subjects query", [FieldError("--sql", Said("subjects.not_a_database_url"))]) from None
        self.what: Said | str = Said("subjects.query_on", url=self.url.render_as_string(hide_password=True))
        self.query = check_select(query, self.what)
        self._rows_read = 0

    def fraction(self) -> float | None:
        return None  # a streamed result does not say how long it is

    def _engine(self):  # type: ignore[no-untyped-def]
        from sqlalchemy import create_engine, event
        from sqlalchemy.pool import NullPool

        backend = self.url.get_backend_name()
        if backend == "sqlite":
            database = self.url.database or ""
            if not database or database == ":memory:" or database.startswith("file:"):
                raise InvalidInput(self.what, [FieldError("--sql", Said("subjects.sqlite_needs_a_file"))])
            path = Path(database).resolve()
            if not path.is_file():
                raise InvalidInput(self.what, [FieldError("--sql", Said("subjects.no_sqlite_database", path=path))])
            uri = f"file:{quote(str(path))}?mode=ro"

            def connect() -> sqlite3.Connection:
                connection = sqlite3.connect(uri, uri=True, check_same_thread=False)
                connection.execute("PRAGMA query_only = ON")
                return connection

            return create_engine("sqlite://", creator=connect, poolclass=NullPool)
        if backend == "postgresql":
            engine = create_engine(self.url, poolclass=NullPool)

            @event.listens_for(engine, "begin")
            def read_only(connection) -> None:  # type: ignore[no-untyped-def]
                connection.exec_driver_sql("SET TRANSACTION READ ONLY")

            return engine
        raise InvalidInput(self.what, [FieldError("--sql", Said("subjects.not_read_only", backend=backend))])

    @contextmanager
    def open(self) -> Iterator[Opened]:
        from sqlalchemy.exc import DBAPIError, NoSuchModuleError, SQLAlchemyError

        try:
            engine = self._engine()
        except (NoSuchModuleError, ModuleNotFoundError) as exc:
            raise InvalidInput(self.what, [FieldError("--sql", Said("subjects.no_driver", problem=str(exc)))]) \
                from None
        try:
            try:
                connection = engine.connect()
            except DBAPIError as exc:
                raise InvalidInput(self.what, [FieldError("--sql", _database_said(exc))]) from None
            except SQLAlchemyError as exc:
                raise InvalidInput(self.what, [FieldError("--sql", type(exc).__name__)]) from None
            with connection:
                try:
                    # a driver with %-placeholders reads a bare % (LIKE 'a%') as one, even without parameters
                    query = self.query.replace("%", "%%") if engine.dialect.paramstyle in ("format", "pyformat") \
                        else self.query
                    result = connection.exec_driver_sql(query, execution_options={"yield_per": SQL_BATCH})
                except DBAPIError as exc:
                    raise InvalidInput(self.what, [FieldError("--query", _database_said(exc))]) from None
                if not result.returns_rows:
                    raise InvalidInput(self.what, [FieldError("--query", Said("subjects.returns_no_rows"))])
                # errors of the caller (writing the people to the register) pass through here untouched
                yield Opened(list(result.keys()), self._rows(result))
                result.close()
        finally:
            engine.dispose()

    @staticmethod
    def _rows(result) -> Iterator[tuple[int, Sequence[str]]]:  # type: ignore[no-untyped-def]
        from sqlalchemy.exc import DBAPIError

        number = 0
        try:
            for partition in result.partitions():
                for row in partition:
                    number += 1
                    yield number, ["" if cell is None else str(cell) for cell in row]
        except DBAPIError as exc:
            raise SourceBroken(FieldError(f"row {number + 1}", _database_said(exc))) from None


def _database_said(exc: Exception) -> str:
    """The database's own message, first line only: without the statement, parameters or connection details."""
    original = getattr(exc, "orig", None) or exc
    text = str(original).strip().splitlines()
    return clean_text(text[0])[:300] if text else type(original).__name__


_SQL_NOISE = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|--[^\n]*|/\*.*?\*/", re.DOTALL)
# What could make a statement that starts with SELECT or WITH write or lock: SELECT ... INTO (creates a table),
# WITH x AS (DELETE ... RETURNING ...) SELECT, SELECT ... FOR UPDATE.
_WRITES = re.compile(r"\b(insert|update|delete|merge|into|truncate|drop|alter|create|grant|revoke|copy|call|lock)\b",
                     re.IGNORECASE)


def check_select(query: str, what: Said | str = "subjects query") -> str:
    """The query if it is one SELECT (or WITH ... SELECT) that only reads; InvalidInput naming --query if not.

    A second line of defence after the read-only connection: strings, quoted names and comments are set aside,
    then the statement must start with SELECT or WITH, be a single statement, and use no writing keyword.
    """
    text = query.strip().rstrip(";").strip()
    bare = _SQL_NOISE.sub(" ", text)
    words = bare.split()
    if not words or words[0].lower() not in ("select", "with"):
        raise InvalidInput(what, [FieldError("--query", Said("subjects.not_a_select"))])
    if ";" in bare:
        raise InvalidInput(what, [FieldError("--query", Said("subjects.not_a_single_statement"))])
    if found := _WRITES.search(bare):
        raise InvalidInput(what, [FieldError("--query", Said("subjects.may_only_read", word=found.group(1).upper()))])
    return text


# --- one reader for every source ---------------------------------------------------------------------------

def read_source(source: Source, report: ReadReport) -> Iterator[Person]:
    """Yield each distinct person in source order; raise InvalidInput on structural problems.

    Streams: memory grows with the set of seen addresses only. Unusable addresses are not dropped: the person
    is kept with the reason, so nobody is silently skipped. Columns are found by name (name, email and
    optionally language, or their Dutch and common aliases).
    """
    with source.open() as opened:
        columns = [HEADER_ALIASES.get(str(h).strip().lower().replace(" ", "_")) for h in opened.columns]
        in_parts = "name" not in columns and bool({"given", "family"} & set(columns))
        missing = [c for c in ("name", "email") if c not in columns and not (c == "name" and in_parts)]
        if missing:
            raise InvalidInput(source.what, [FieldError(source.columns_field, Said(
                "subjects.column_missing", column=c, source=source.kind)) for c in missing])
        index = {c: i for i, c in enumerate(columns) if c}
        width = len(columns)
        # the loop below runs once a row (a million times for a large list): positions looked up once here
        name_at, email_at, language_at = index.get("name"), index["email"], index.get("language")
        # where the postal address is, once; a list without one costs its rows nothing (the import is hot)
        address_at = [index.get(c) for c in ("address", "street", "number", "postcode", "city", "country")]
        if all(i is None for i in address_at):
            address_at = []
        seen: set[str] = set()
        problems: list[FieldError] = []
        unit = source.unit
        try:
            for position, cells in opened.rows:
                if not any(map(str.strip, cells)):
                    continue
                report.rows += 1
                if len(cells) < width:
                    cells = [*cells, *[""] * (width - len(cells))]
                if in_parts:
                    name = full_name(*(cells[index[c]] if c in index else "" for c in ("given", "infix", "family")))
                else:
                    name = display_name(cells[name_at])  # type: ignore[index]
                name = name[:300]
                address = postal_address(*(cells[i] if i is not None else "" for i in address_at)) \
                    if address_at else None
                raw_email = cells[email_at].strip()
                language = (cells[language_at].strip().lower() if language_at is not None else "") or "nl"
                if language not in LANGUAGES:
                    problems.append(FieldError(f"{unit} {position}: language",
                                               Said("subjects.language_not_supported", language=language[:20])))
                    continue
                email: str | None
                problem = None
                try:
                    email = normalise_address(raw_email)
                    key = email.lower()
                except EmailNotValidError as exc:
                    email, key = None, _unusable_key(unit, position, name, raw_email)
                    problem = "no e-mail address" if not raw_email else str(exc)
                    report.unreachable.append((position, problem))
                if key in seen:
                    report.duplicates += 1
                    continue
                seen.add(key)
                yield Person(position, name, email, key, language, problem, address[:600] if address else None)
        except SourceBroken as broken:
            problems.append(broken.error)
        if problems:
            shown = problems[:MAX_PROBLEMS_SHOWN]
            if len(problems) > MAX_PROBLEMS_SHOWN:
                shown.append(FieldError("...", Said("subjects.more_problems", count=len(problems) - MAX_PROBLEMS_SHOWN)))
            raise InvalidInput(source.what, shown)


def _unusable_key(unit: str, position: int, name: str, raw_email: str) -> str:
    """The key of a person without a usable address: the same for the same row read again (importing a list
    twice links them once), different for another person at that position in another list (nobody skipped)."""
    digest = hashlib.sha256(f"{name}\x1f{raw_email}".encode()).hexdigest()[:16]
    return f"{unit}:{position}:{digest}"


def read_people(path: Path, report: ReadReport) -> Iterator[Person]:
    """The people in a CSV file (see read_source)."""
    return read_source(CsvSource(path), report)

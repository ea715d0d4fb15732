"""Every YAML/JSON document is read within limits on size, depth and time (incidents/validation.py), and every CSV
cell stays text whatever separator a spreadsheet splits on (incidents/export.py). Issue 17, items 1, 4 and 5."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
import yaml

from breach.web import forms
from incidents.errors import InvalidInput
from incidents.export import COLUMNS, WORKLIST_COLUMNS, inert, to_csv, worklist_csv
from incidents.said import speaking
from incidents.validation import (
    MAX_DEPTH,
    MAX_FILE_BYTES,
    Limits,
    Unreadable,
    load_document,
    parse_json,
    parse_yaml,
)

FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _flow(depth: int) -> str:
    return "[" * depth + "]" * depth


def _block(depth: int) -> str:
    return "- " * depth + "x\n"


def _mapping(depth: int) -> str:
    return "".join("  " * i + f"k{i}:\n" for i in range(depth - 1)) + "  " * (depth - 1) + "k: v\n"


# --- depth -------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("nested", [_flow, _block, _mapping], ids=["flow", "block", "mapping"])
def test_a_document_as_deep_as_the_limit_is_read_and_one_level_more_is_refused(nested) -> None:
    assert parse_yaml(nested(MAX_DEPTH)) is not None
    with pytest.raises(Unreadable) as refused:
        parse_yaml(nested(MAX_DEPTH + 1))
    assert refused.value.said.key == "validation.too_deep" and not refused.value.syntax


def test_flow_inside_block_counts_as_one_depth() -> None:
    assert parse_yaml("a:\n  b: " + _flow(MAX_DEPTH - 2) + "\n") is not None
    with pytest.raises(Unreadable):
        parse_yaml("a:\n  b: " + _flow(MAX_DEPTH - 1) + "\n")


def test_a_sequence_at_its_keys_indent_cannot_escape_the_limit() -> None:
    """`k:\\n- ...` scans as no indent of its own; the limit holds for what was read all the same."""
    document = "".join("  " * i + "k:\n" + "  " * i + "-\n" for i in range(MAX_DEPTH))
    with pytest.raises(Unreadable) as refused:
        parse_yaml(document)
    assert refused.value.said.key == "validation.too_deep"


@pytest.mark.parametrize("size", [20_000, 100_000, 1_000_000])
def test_brackets_nested_by_the_thousand_are_refused_at_the_first_level_too_deep(size: int) -> None:
    """PyYAML's scanner is quadratic in `[` nesting (20 KB: 12 s of CPU); the scan stops at level 33."""
    with pytest.raises(Unreadable) as refused:
        parse_yaml("[" * size)
    assert refused.value.said.key == "validation.too_deep"
    assert refused.value.said.values == {"maximum": MAX_DEPTH, "line": 1}


def test_the_refusal_names_the_limit_and_the_fix_in_both_languages() -> None:
    with pytest.raises(Unreadable) as refused:
        parse_yaml("summary: x\ndata:\n  categories: " + "[" * 40)
    said = refused.value.said
    assert str(said) == ("nests lists and mappings more than 32 levels deep (at line 3); a report, an assessment "
                         "or a profile needs only a few levels: write it flatter")
    with speaking("nl"):
        assert str(said).startswith("nest lijsten en verzamelingen meer dan 32 niveaus diep (op regel 3)")


def test_aliases_are_refused_everywhere() -> None:
    with pytest.raises(Unreadable) as refused:
        parse_yaml("a: &a [x, x]\nb: [*a, *a]\n")
    assert refused.value.alias


def test_reading_stops_at_its_deadline() -> None:
    with pytest.raises(Unreadable) as refused:
        parse_yaml("a: 1\nb: 2\n", Limits(seconds=-1))
    assert refused.value.said.key == "validation.too_slow"


def test_a_syntax_error_keeps_the_readers_own_message() -> None:
    with pytest.raises(Unreadable) as refused:
        parse_yaml("a: [1,\n")
    assert refused.value.syntax and "while parsing a flow" in str(refused.value.problem)


def test_json_is_held_to_the_same_depth_and_never_ends_in_a_recursion_error() -> None:
    assert parse_json(_flow(MAX_DEPTH)) == json.loads(_flow(MAX_DEPTH))
    for text in (_flow(MAX_DEPTH + 1), "[" * 100_000 + "]" * 100_000, '{"a": ' * 100_000):
        with pytest.raises(Unreadable) as refused:
            parse_json(text)
        assert refused.value.said.key == "validation.too_deep"
    with pytest.raises(Unreadable) as refused:
        parse_json(b"{nope")
    assert refused.value.syntax


# --- files (the CLI) ---------------------------------------------------------------------------------------------

def _refused(path: Path) -> tuple[str, str]:
    with pytest.raises(InvalidInput) as refused:
        load_document(path, "assessment")
    [error] = refused.value.errors
    return error.field, error.message


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "report.yaml"
    path.write_bytes(b"title: " + b"x" * (10 * 1024 * 1024) + b"\n")  # 10 MB
    field, message = _refused(path)
    assert field == "file" and message.startswith(f"{path} is larger than 1024 KB")
    path.write_bytes(b"title: " + b"x" * (MAX_FILE_BYTES - 20) + b"\n")  # just under: read
    assert load_document(path, "assessment")["title"].startswith("xxx")


@pytest.mark.parametrize(("name", "text"), [
    ("deep.yaml", "- " * 100_000 + "x\n"),
    ("deep-flow.yaml", "[" * 100_000 + "]" * 100_000),
    ("deep.json", "[" * 100_000 + "]" * 100_000),
    ("deep-object.json", '{"a": ' * 100_000 + "1" + "}" * 100_000),
])
def test_a_document_100_000_deep_is_refused_with_the_file_named(tmp_path: Path, name: str, text: str) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    field, message = _refused(path)
    assert field == "file" and message.startswith(f"{path} nests lists and mappings more than 32 levels deep")


def test_files_keep_their_old_words(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{nope", encoding="utf-8")
    assert _refused(broken)[1].startswith(f"{broken} is not valid YAML/JSON: Expecting property name")
    assert _refused(tmp_path / "missing.yaml")[1] == f"{tmp_path / 'missing.yaml'} does not exist"
    assert _refused(tmp_path)[1].startswith(f"{tmp_path} cannot be read")


def test_the_examples_read_as_before() -> None:
    from incidents.config import REPO_ROOT

    for path in sorted((REPO_ROOT / "examples").rglob("*.yaml")):
        assert load_document(path, "assessment") == yaml.safe_load(path.read_text(encoding="utf-8")), path


# --- the pasted document (the dashboard) -------------------------------------------------------------------------

def test_a_pasted_document_nested_20_kb_deep_is_refused_with_the_field_named() -> None:
    with pytest.raises(InvalidInput) as refused:
        forms.parse_document("[" * 20_000)
    [error] = refused.value.errors
    assert error.field == "document" and "more than 32 levels deep" in error.message


def test_a_pasted_document_keeps_its_old_words() -> None:
    for document, words in (("a: &s x\nb: *s\n", "YAML aliases (*name) are not accepted"),
                            ("a: [1,\n", "is not valid YAML or JSON: while parsing a flow node"),
                            ("x" * (forms.MAX_DOCUMENT + 1), f"is longer than {forms.MAX_DOCUMENT} characters")):
        with pytest.raises(InvalidInput) as refused:
            forms.parse_document(document)
        assert refused.value.errors[0].message.startswith(words)


# --- CSV: formulas stay text whatever the separator ---------------------------------------------------------------

@pytest.mark.parametrize(("cell", "written"), [
    ("=1+1", "'=1+1"),
    ("x;=1+1;", "x;'=1+1;"),
    ("x,=1+1", "x,'=1+1"),
    ("a; @SUM(A1)", "a;' @SUM(A1)"),
    ('x;"=1+1"', "x;'\"=1+1\""),
    ("line\n=1+1", "line\n'=1+1"),
    ("x\t+1", "x\t'+1"),
    ("Payroll export, mailed to a client; twelve people", "Payroll export, mailed to a client; twelve people"),
    ("2026-11-25T10:00:00+01:00", "2026-11-25T10:00:00+01:00"),
    ("rick@example.org", "rick@example.org"),
    ("'=1+1", "'=1+1"),
    ("", ""),
])
def test_a_cell_is_made_inert_in_every_fragment_a_spreadsheet_may_split_it_into(cell: str, written: str) -> None:
    assert inert(cell) == written
    assert inert(written) == written  # once is enough
    assert inert(12) == 12 and inert(None) is None


def _cells_as_split_by(text: str, separator: str) -> list[str]:
    """What a spreadsheet that splits on `separator` takes for cells: quotes honoured only at a cell's start."""
    return [cell for row in csv.reader(io.StringIO(text), delimiter=separator) for cell in row]


def _runs(cell: str) -> bool:
    return cell.lstrip(' "')[:1] in FORMULA  # a tuple: the empty cell is no formula


HOSTILE = ["x;=1+1;", "=HYPERLINK(\"http://evil.test\",\"click\")", "a,-2+3+cmd|' /C calc'!A0", "b;@SUM(1)",
           "c\n=1+1", 'd;"=1+1"', "e; +1", "f\t=1"]


@pytest.mark.parametrize("separator", [",", ";", "\t"])
def test_the_register_export_shows_no_formula_to_a_spreadsheet_splitting_on_any_separator(separator: str) -> None:
    row = {name: None for name in COLUMNS}
    for name, value in zip(("id", "title", "description", "reported_by", "systems", "measures", "lessons",
                            "closing_reason"), HOSTILE, strict=True):
        row[name] = value
    text = to_csv([row])
    assert text.splitlines()[0].startswith("id,title,status")
    cells = _cells_as_split_by(text, separator)
    assert cells and not [cell for cell in cells if _runs(cell)]
    assert "x;'=1+1;" in text  # Dutch Excel sees the text '=1+1, not the formula


@pytest.mark.parametrize("column", ["id", "measures", "cause"])  # the first, a middle and the last column
@pytest.mark.parametrize("value", HOSTILE)
def test_one_formula_anywhere_in_a_row_is_made_inert_and_the_other_cells_are_written_as_they_are(
        column: str, value: str) -> None:
    plain = {name: f"{name}, as written - not a formula; 2026-11-25T10:00:00+01:00" for name in COLUMNS}
    plain.update(count_min=3, high_risk=True, closing_reason=None)
    [header, *_] = to_csv([plain]).splitlines()
    for row in (plain, {**plain, column: value}):
        [cells] = list(csv.reader(io.StringIO(to_csv([row]).removeprefix(header + "\r\n"))))
        assert cells == [inert("" if row[name] is None else str(row[name])) for name in COLUMNS]
        for separator in (",", ";", "\t"):
            assert not [cell for cell in _cells_as_split_by(to_csv([row]), separator) if _runs(cell)]
    assert cells[COLUMNS.index(column)] != value and "as written - not a formula" in cells[1]


@pytest.mark.parametrize("separator", [",", ";"])
def test_the_worklist_export_shows_no_formula_either(separator: str) -> None:
    rows = [{"line": i, "name": value, "email": "x@example.org", "language": "nl", "status": "unreachable",
             "problem": value} for i, value in enumerate(HOSTILE, start=2)]
    text = worklist_csv(rows)
    assert text.splitlines()[0] == ",".join(WORKLIST_COLUMNS)
    assert not [cell for cell in _cells_as_split_by(text, separator) if _runs(cell)]

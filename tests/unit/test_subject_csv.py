"""Reading affected people from a CSV: any separator, BOM or not, bad rows named, nobody silently dropped."""

from pathlib import Path

import pytest

from incidents.errors import InvalidInput
from incidents.subjects import ReadReport, read_people


def read(tmp_path: Path, text: str, encoding="utf-8"):
    path = tmp_path / "people.csv"
    path.write_bytes(text.encode(encoding))
    report = ReadReport()
    return list(read_people(path, report)), report


def test_comma_file_with_bom_and_languages(tmp_path):
    people, report = read(tmp_path, "\ufeffname,email,language\r\nAn de Vries,an@example.com,nl\r\nBo,bo@example.com,EN\r\n")
    assert [(p.name, p.email, p.language) for p in people] == [
        ("An de Vries", "an@example.com", "nl"), ("Bo", "bo@example.com", "en")]
    assert report.rows == 2


def test_semicolon_file_with_dutch_headers_and_default_language(tmp_path):
    people, _ = read(tmp_path, "naam;e-mail\n\"Vries, Gerrit de\";gerrit@example.nl\n")
    # the quoted comma stays in the cell; the surname-first name is kept as people write it
    assert people[0].name == "Gerrit de Vries" and people[0].language == "nl"


def test_duplicate_addresses_are_merged_case_insensitively(tmp_path):
    people, report = read(tmp_path, "name,email\nK,k.janssen@example.nl\nK2,K.Janssen@Example.NL\n")
    assert len(people) == 1 and report.duplicates == 1


def test_an_unusable_address_keeps_the_person_with_the_reason(tmp_path):
    people, report = read(tmp_path, "name,email\nPieter,pieter.bakker@example\nLeeg,\n")
    assert [p.email for p in people] == [None, None]
    assert all(p.problem for p in people)
    assert [line for line, _ in report.unreachable] == [2, 3]


def test_a_formula_or_template_in_a_name_is_kept_as_plain_text(tmp_path):
    people, _ = read(tmp_path, 'name,email\n"=HYPERLINK(""http://x"")",a@example.com\n{{ 7*7 }},b@example.com\n')
    assert people[0].name == '=HYPERLINK("http://x")' and people[1].name == "{{ 7*7 }}"


def test_control_characters_in_a_name_cannot_break_an_email_header(tmp_path):
    people, _ = read(tmp_path, 'name,email\n"Eve\r\nBcc: x@evil.test",e@example.com\n')
    assert "\n" not in people[0].name and "\r" not in people[0].name


def test_a_missing_email_column_is_named(tmp_path):
    with pytest.raises(InvalidInput) as err:
        read(tmp_path, "name,mail\nAn,an@example.com\n")
    assert err.value.errors[0].field == "header" and "'email'" in err.value.errors[0].message


def test_an_unsupported_language_names_the_line(tmp_path):
    with pytest.raises(InvalidInput) as err:
        read(tmp_path, "name,email,language\nAn,an@example.com,nl\nJean,j@example.com,fr\n")
    assert err.value.errors[0].field == "line 3: language"


def test_a_non_utf8_file_is_refused_with_the_fix(tmp_path):
    with pytest.raises(InvalidInput, match="UTF-8"):
        read(tmp_path, "name,email\nZoë,z@example.com\n", encoding="latin-1")


def test_an_empty_file_is_refused(tmp_path):
    with pytest.raises(InvalidInput, match="empty"):
        read(tmp_path, "")


@pytest.mark.parametrize("address", [
    "an@example.com", "An.de.Vries+breach@Example.COM", "o'brien@example.ie", "x@sub.example.co.uk",
    "zoë@example.nl", '"quoted name"@example.com', "bad@@example.com", "a..b@example.com", "a@example",
    "a@localhost", "a@exa_mple.com", ".a@example.com", "a@-example.com", "@example.com", "a@",
    "a" * 65 + "@example.com", "a@" + "b" * 64 + ".com",
])
def test_the_fast_address_check_agrees_with_email_validator(address):
    from email_validator import EmailNotValidError, validate_email

    from incidents.subjects import normalise_address

    try:
        expected = validate_email(address, check_deliverability=False).normalized
    except EmailNotValidError:
        expected = None
    try:
        got = normalise_address(address)
    except EmailNotValidError:
        got = None
    assert got == expected


@pytest.mark.parametrize(("written", "shown"), [
    ("Vries, Gerrit de", "Gerrit de Vries"),
    ("Jansen, Anna", "Anna Jansen"),
    ("Anna Jansen", "Anna Jansen"),
    ("Jansen, Anna, jr.", "Jansen, Anna, jr."),  # more than one comma: not guessed at
    ("Jansen,", "Jansen,"),
    ("de Vries, Gerrit", "Gerrit de Vries"),
    ("Gerrit", "Gerrit"),  # one word
    ("", ""),  # no name: the message greets with its neutral words (subjects/anonymous_name.txt.j2)
])
def test_a_surname_first_name_is_greeted_as_people_write_it(written, shown):
    from incidents.subjects import display_name

    assert display_name(written) == shown


@pytest.mark.parametrize(("given", "infix", "family", "shown"), [
    ("Gerrit", "de", "Vries", "Gerrit de Vries"),
    ("", "van der", "Berg", "Van der Berg"),  # at the start Dutch writes the infix with a capital
    ("Anna", "", "Jansen", "Anna Jansen"),
    ("Anna", "", "", "Anna"),
    ("", "", "", ""),
])
def test_a_name_kept_in_parts_is_put_together_as_people_write_it(given, infix, family, shown):
    from incidents.subjects import full_name

    assert full_name(given, infix, family) == shown


def test_import_accepts_given_name_and_family_name_columns(tmp_path):
    people, report = read(tmp_path, "voornaam;tussenvoegsel;achternaam;e-mailadres\nGerrit;de;Vries;g@example.nl\n"
                                    ";;;anoniem@example.nl\n")
    assert [p.name for p in people] == ["Gerrit de Vries", ""] and report.rows == 2


def test_a_header_without_any_name_column_is_refused_naming_the_choices(tmp_path):
    from incidents.errors import InvalidInput

    with pytest.raises(InvalidInput) as refused:
        read(tmp_path, "email\nx@example.nl\n")
    assert "name (or given_name and family_name)" in refused.value.errors[0].message

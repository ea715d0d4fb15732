"""Messages written in a person's name: their parts, the fingerprint of what was approved, and what blocks approval.

A message to the people (GDPR art. 34(2)) is reviewed and approved by a person before anyone gets it. Its
parts (what happened, which data, what it means for you, what we did, what you can do, whom to contact, the
right to complain) are texts of their own per language: proposed from the templates, edited by the privacy
officer. A version is identified by the SHA-256 of its rendered texts; the approval names that digest, and only
the rendered texts with that digest are sent.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass

from incidents.errors import FieldError
from incidents.said import Said

# The parts of a message to the people, in the order they are read. Art. 34(2) with art. 33(3)(b)-(d): the
# nature of the breach, the contact point, the likely consequences and the measures taken; plus what the person
# can do (EDPB Guidelines 9/2022, par. 137) and the right to complain to the AP (art. 77).
PARTS = ("happened", "data", "meaning", "done", "advice", "contact", "complaint")
SUBJECT_NOTICE = "subject_notice"
# The follow-up to the same people when the investigation ends: what was found, what changed, what they can do now,
# whom to contact. Reviewed and approved like the first message.
UPDATE_PARTS = ("found", "changed", "advice", "contact")
SUBJECT_UPDATE = "subject_update"
PARTS_OF = {SUBJECT_NOTICE: PARTS, SUBJECT_UPDATE: UPDATE_PARTS}
MAX_PART = 4000  # characters per part: a few paragraphs, not a document


@dataclass(frozen=True)
class Rendered:
    """One language of a version as its recipients get it; `person.name` is still a token."""

    subject: str
    text: str
    html: str


def digest(rendered: Mapping[str, Rendered]) -> str:
    """The fingerprint of a version: SHA-256 over every language's subject, text and HTML, in a fixed order.
    An approval names it; the dispatch sends only texts that still have it."""
    canonical = json.dumps({lang: [r.subject, r.text, r.html] for lang, r in sorted(rendered.items())},
                           ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def blocks(text: str) -> list[tuple[str, list[str]]]:
    """A part's text as the HTML shows it: ("p", [paragraph]) for a paragraph (blank lines separate them) and
    ("ul", items) for consecutive lines that start with "- ". Plain text, so nothing in it is markup."""
    out: list[tuple[str, list[str]]] = []
    for chunk in re.split(r"\n\s*\n", text.replace("\r\n", "\n").strip()):
        lines = [line.rstrip() for line in chunk.split("\n") if line.strip()]
        para: list[str] = []
        for line in lines:
            item = re.match(r"^\s*[-•*]\s+(.*)$", line)
            if item:
                if para:
                    out.append(("p", ["\n".join(para)]))
                    para = []
                if out and out[-1][0] == "ul" and not para:
                    out[-1][1].append(item.group(1))
                else:
                    out.append(("ul", [item.group(1)]))
            else:
                if out and out[-1][0] == "ul" and not para and line.startswith(("  ", "\t")):
                    out[-1][1][-1] += " " + line.strip()  # a wrapped list item
                    continue
                para.append(line)
        if para:
            out.append(("p", ["\n".join(para)]))
    return out


# Words that are common in Dutch and do not occur in English prose (so no "de", "van", "en", "op", "is", which
# names and English words share).
_DUTCH_WORDS = frozenset(["het", "een", "wij", "we", "uw", "jouw", "niet", "zijn", "voor", "dat", "bij", "gegevens", "heeft", "hebben", "werd", "wordt", "naar", "ook", "deze", "door", "maar", "zoals", "omdat", "welke", "waren", "kunnen", "moeten", "zou", "onze", "ons", "wat", "wie", "hoe", "waar", "datalek", "mogelijk", "persoonsgegevens", "inmiddels", "meteen", "graag", "vragen", "neem", "contact", "opgenomen", "gedeeld", "verwijderd", "mensen"])
_WORD = re.compile(r"[a-zà-ÿ]+")


def looks_dutch(text: str) -> bool:
    """True when a text reads as Dutch: at least three different Dutch-only words, making up a fifth of it or
    more (a Dutch name or a quoted term in an English sentence does not count)."""
    words = _WORD.findall(text.lower())
    if not words:
        return False
    dutch = [w for w in words if w in _DUTCH_WORDS]
    return len(set(dutch)) >= 3 and len(dutch) >= 0.2 * len(words)


def approval_problems(parts: Mapping[str, Mapping[str, str]], proposed: Mapping[str, Mapping[str, str]],
                      names: tuple[str, ...] = PARTS) -> list[FieldError]:
    """What keeps a version from being approved, per part: an empty part; a part too long; an English part that
    is Dutch text; a part rewritten in Dutch while the English one is still the proposal (the English reader
    would not get what was added). One language per message: a reader gets every part in their language."""
    problems: list[FieldError] = []
    for language, own in parts.items():
        for part in names:
            text = own.get(part, "")
            where = f"{language}.{part}"
            if not text.strip():
                problems.append(FieldError(where, Said("messages.part_empty")))
            elif len(text) > MAX_PART:
                problems.append(FieldError(where, Said("messages.part_too_long", characters=len(text), limit=MAX_PART)))
            elif re.search(r"\[[^\]]{10,}\]", text):
                problems.append(FieldError(where, Said("messages.instruction_left")))
            elif language == "en" and looks_dutch(text):
                problems.append(FieldError(where, Said("messages.english_part_in_dutch")))
    if "nl" in parts and "en" in parts:
        for part in names:
            nl_edited = parts["nl"].get(part, "") != proposed.get("nl", {}).get(part, "")
            en_untouched = parts["en"].get(part, "") == proposed.get("en", {}).get(part, "")
            if nl_edited and en_untouched:
                problems.append(FieldError(f"en.{part}", Said("messages.rewritten_in_dutch_only")))
    return problems

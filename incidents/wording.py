"""An organisation's own wording: its versions of some of the shipped message templates, beside them.

A profile may name a folder (`wording: wording/`, beside the profile) laid out like `templates/`, e.g.
`nl/subjects/_proposal.j2`: those files replace the shipped templates of the same name for that organisation's
incidents, and every other template stays the shipped one. The texts are kept in the profile's version in the
register, so a closed incident keeps the wording it was handled under. Only the templates of the messages sent in
the organisation's name that a rehearsal renders may be replaced (OVERRIDABLE); a replacement is accepted once it
renders (incidents.services.wording.rehearse).

To render, the texts are written once into a folder of the workspace with a `.base` file naming the shipped
folder: the Jinja environment (incidents.notify.render.environment) looks there first, then in the base.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

BASE_MARKER = ".base"  # in a wording folder: the templates folder every template it does not replace comes from
MAX_TEXT = 64 * 1024  # characters per template

# The messages an organisation may word itself: the team's alert, the message to the people and its follow-up,
# and the public communication, in each language. (The AP notice follows the AP's form and is not replaceable.)
OVERRIDABLE = frozenset(f"{language}/{name}" for language in ("nl", "en") for name in (
    "team/_alert.j2", "team/alert.subject.j2", "team/alert.txt.j2", "team/alert.html.j2",
    "subjects/_proposal.j2", "subjects/_proposal_je.j2", "subjects/_notice.j2", "subjects/_notice_je.j2",
    "subjects/notice.subject.j2", "subjects/notice.txt.j2", "subjects/notice.html.j2",
    "subjects/_update_proposal.j2", "subjects/_update.j2",
    "subjects/update.subject.j2", "subjects/update.txt.j2", "subjects/update.html.j2",
    "public/_notice.j2", "public/notice.html.j2", "public/notice.txt.j2", "public/message.txt.j2",
))


def read_folder(folder: Path) -> dict[str, str]:
    """The wording files of a folder laid out like templates/ (`nl/subjects/_proposal.j2` ...), by name."""
    return {path.relative_to(folder).as_posix(): path.read_text(encoding="utf-8")
            for path in sorted(folder.rglob("*.j2")) if path.is_file()}


def digest(texts: Mapping[str, str]) -> str:
    return hashlib.sha256(json.dumps(dict(sorted(texts.items())), ensure_ascii=False).encode("utf-8")).hexdigest()


def overlay(folder: Path, shipped: Path, texts: Mapping[str, str]) -> Path:
    """The templates folder for an organisation with this wording: `shipped` itself without any, else a folder
    under `folder` holding the texts and a `.base` naming `shipped`, written once (by content; a process that
    finds it complete uses it as it is)."""
    if not texts:
        return shipped
    base = str(shipped.resolve())
    target = folder / digest({**texts, BASE_MARKER: base})[:24]
    if (target / BASE_MARKER).is_file():
        return target
    folder.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(dir=folder, prefix=".building-"))
    for name, text in texts.items():
        path = building / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    (building / BASE_MARKER).write_text(base, encoding="utf-8")  # last: a folder with it is complete
    try:
        os.rename(building, target)
    except OSError:  # another process wrote the same folder meanwhile: it has the same content
        import shutil

        shutil.rmtree(building, ignore_errors=True)
    return target


def search_path(templates: Path) -> list[str]:
    """Where the Jinja loader looks for the templates of `templates`: the folder, then its base if it has one."""
    marker = templates / BASE_MARKER
    if marker.is_file():
        return [str(templates), marker.read_text(encoding="utf-8").strip()]
    return [str(templates)]

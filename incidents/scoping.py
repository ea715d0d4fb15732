"""Scoping help: what the data inventory says an incident's systems hold, for the IT expert to confirm or correct."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from incidents.profile import Profile


@dataclass(frozen=True)
class ScopeProposal:
    """The categories, groups and range of people the named systems hold, per the organisation's inventory.

    count_min is the largest single system (everyone may be in all of them); count_max the sum (no one in two).
    """

    systems: list[str]
    unknown_systems: list[str]
    categories: list[str]  # own or vocabulary names as the inventory writes them, first seen first
    vocabulary: list[str]  # the assessment vocabulary terms they mean, in the same order, deduplicated
    groups: list[str]
    count_min: int
    count_max: int
    people: dict[str, int] = field(default_factory=dict)  # system -> people_estimate


@dataclass(frozen=True)
class ScopeCheck:
    """How a recorded assessment compares with the proposal: what the IT expert may have missed or added."""

    missing: list[str]  # inventory categories (vocabulary terms) the assessment does not name
    extra: list[str]  # assessment terms the named systems do not hold per the inventory
    count_above: bool  # the assessment's lower estimate is above all the systems hold together

    @property
    def agrees(self) -> bool:
        return not (self.missing or self.extra or self.count_above)


def _unique(items: Sequence[str]) -> list[str]:
    seen: set[str] = set()
    result = []
    for item in items:
        if item.casefold() not in seen:
            seen.add(item.casefold())
            result.append(item)
    return result


def propose_scope(profile: Profile, systems: Sequence[str]) -> ScopeProposal:
    """The inventory's answer for the systems named in the report (unknown names are listed, not guessed)."""
    found = [s for name in systems if (s := profile.system(name)) is not None]
    unknown = [name for name in systems if profile.system(name) is None]
    categories = _unique([c for s in found for c in s.categories])
    vocabulary = _unique([t for c in categories if (t := profile.vocabulary_of(c)) is not None])
    estimates = [s.people_estimate for s in found]
    return ScopeProposal(
        systems=[s.name for s in found], unknown_systems=unknown, categories=categories, vocabulary=vocabulary,
        groups=_unique([g for s in found for g in s.groups]),
        count_min=max(estimates, default=0), count_max=sum(estimates),
        people={s.name: s.people_estimate for s in found},
    )


def check_scope(proposal: ScopeProposal, terms: Sequence[str], count_min: int) -> ScopeCheck:
    """Compare an assessment (its vocabulary terms and lower estimate of people) with the proposal. Fewer people
    than the systems hold is normal (a breach often touches part of a system); more is worth a second look."""
    if not proposal.systems:
        return ScopeCheck([], [], False)
    return ScopeCheck(
        missing=[t for t in proposal.vocabulary if t not in terms],
        extra=_unique([t for t in terms if t not in proposal.vocabulary]),
        count_above=count_min > proposal.count_max,
    )

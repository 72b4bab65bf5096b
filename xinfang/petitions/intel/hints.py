"""Repeat and same-matter hints: the one use case behind the 查重 panel and registration.

Two finders over the whole table say *which* earlier matters are related:

- the same petitioner (ID number or phone, blind index): ``services.find_repeats``, the
  repeat link of §19 ¶3;
- the same concrete problem (title + content, same division): ``index.same_matter_candidates``.

What a user is *shown* goes through the read gate (``access.visible_matters``): a matter
the user may not open is a masked hint, "有关联事项（无权查看）", with no number, title,
state, unit, division or date (§30 ¶3: the petitioner's matters elsewhere are not the
registering unit's to read). It still tells the registrar that there is something to check,
so that an officer whose scope covers it can decide whether it is the same matter.

Registration links the repeat from the same finders (``auto_repeat_of``): the link is a
record the law asks for (§19 ¶3), whoever registers; only what is displayed is gated.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date

from django.utils import timezone
from django.utils.translation import gettext_noop

from xinfang.org.models import Body, Division, User

from .. import access, services
from ..models import Matter
from .index import Candidate, same_matter_candidates

PERSON = "person"  # the same ID number or phone
CONTENT = "content"  # the same text in the same division
MASKED = gettext_noop("有关联事项（无权查看）")
MIN_TEXT = 8  # characters of title + content before the text is compared


@dataclass(frozen=True)
class Hint:
    """One related earlier matter, as far as the user may know it."""

    kind: str  # PERSON | CONTENT
    visible: bool
    matter_id: int | None = None
    number: str = ""
    title: str = ""
    state_label: str = ""
    unit: str = ""  # the handling (lead) unit
    division: str = ""
    received_on: date | None = None
    percent: int | None = None  # CONTENT: the similarity score
    same_matter: bool = False  # CONTENT: score at the threshold and the same division
    same_division: bool = False

    @property
    def label(self) -> str:
        return self.number if self.visible else MASKED


@dataclass
class Hints:
    """The panel's answer: hints by finder, and whether each finder had anything to go on."""

    person: list[Hint] = field(default_factory=list)
    content: list[Hint] = field(default_factory=list)
    person_checked: bool = False
    content_checked: bool = False

    def __iter__(self) -> Iterator[Hint]:
        yield from self.person
        yield from self.content

    def __len__(self) -> int:
        return len(self.person) + len(self.content)

    @property
    def masked(self) -> bool:
        return any(not h.visible for h in self)


def _same_person(petitioners: Sequence[services.PetitionerIn],
                 exclude_id: int | None = None) -> list[Matter]:
    if not any(p.id_number or p.phone for p in petitioners):
        return []
    return services.find_repeats(petitioners, exclude_id=exclude_id)


def _text_checkable(title: str, content: str) -> bool:
    return len((title or "").strip()) + len((content or "").strip()) >= MIN_TEXT


def _hint(kind: str, m: Matter, visible: bool, c: Candidate | None = None) -> Hint:
    score = {"percent": c.percent, "same_matter": c.same_matter} if c is not None else {}
    if not visible:
        return Hint(kind, False, **score)
    return Hint(kind, True, matter_id=m.pk, number=m.number, title=m.title,
                state_label=str(m.state_label),
                unit=m.lead_body.name if m.lead_body_id and m.lead_body else "",
                division=m.division.name if m.division_id else "",
                received_on=timezone.localdate(m.received_at), **score,
                same_division=c.same_division if c is not None else False)


def repeat_hints(user: User, petitioners: Sequence[services.PetitionerIn], title: str,
                 content: str, division: Division | None, accused_body: Body | None = None,
                 *, exclude_id: int | None = None) -> Hints:
    """Earlier matters of the same petitioner and of the same matter, through the read gate."""
    people = _same_person(petitioners, exclude_id)
    text_ok = _text_checkable(title, content)
    cands = (same_matter_candidates(title, content, division, accused_body, exclude_id=exclude_id)
             if text_ok else [])
    ids = {m.pk for m in people} | {c.matter.pk for c in cands}
    visible = set(access.visible_matters(user).filter(pk__in=ids).values_list("pk", flat=True)
                  ) if ids else set()
    return Hints(
        person=[_hint(PERSON, m, m.pk in visible) for m in people],
        content=[_hint(CONTENT, c.matter, c.matter.pk in visible, c) for c in cands],
        person_checked=any(p.id_number or p.phone for p in petitioners),
        content_checked=text_ok,
    )


def auto_repeat_of(reg: services.Registration) -> Matter | None:
    """The same petitioner *and* the same matter: the earlier matter to link, else None."""
    mine = {m.pk for m in _same_person(reg.petitioners)}
    if not mine:
        return None
    for c in same_matter_candidates(reg.title, reg.content, reg.division, reg.accused_body):
        if c.same_matter and c.matter.pk in mine:
            return c.matter
    return None


def confirmed_repeat(user: User, value: str | None) -> Matter | None:
    """The matter the officer confirmed as "same matter" on the 查重 panel (if visible)."""
    if not value or not str(value).isdigit():
        return None
    return access.visible_matters(user).filter(pk=int(value)).first()

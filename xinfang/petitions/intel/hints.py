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

A *repeat* is the same petitioner **and** the same matter (§19 ¶3, §36 ¶3, procedure.md
§8.6): among the petitioner's earlier matters, those whose text scores at or above the index
threshold against the new one (``index.person_matter_scores``: title + the opening of the
facts, the entity gate), in the same line of divisions and the same top-level category when
both have one. A same-person petition about another matter is a new matter (初信初访 for it)
and gets no 督办. Registration links the repeat (``auto_repeat_of``, called by
``services.register`` for every door): the link is a record the law asks for, whoever
registers; the officer may confirm or reject it on the panel (``confirmed_repeat``). What the
refusal should be — N1, N2, N3 (``domain.repeats``) — is *proposed* to a user who may open
the original (``proposal``), never decided here.

Every display of the link — the 查重 panel, the matter page, its timeline, the API — goes
through ``repeat_link``/``mask_note``: a link to a matter the viewer may not open reads
"有关联事项（无权查看）", with no number, title or unit (§30 ¶3, issue 14 item 2).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_noop

from xinfang.domain import repeats
from xinfang.domain import states as st
from xinfang.org.models import Body, Category, Division, User

from .. import access, clocks, services
from ..models import Channel, Event, Matter
from .index import Candidate, person_matter_scores, same_matter_candidates

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
    percent: int | None = None  # the similarity score
    same_matter: bool = False  # CONTENT: score at the threshold and the same division;
    # PERSON: the same matter of the same petitioner (a repeat, §19 ¶3)
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
    repeat: Hint | None = None  # the proposed link: the same petitioner's same matter
    proposal: Proposal | None = None  # the refusal it calls for (N1/N2/N3), if any
    level_skip: bool = False  # a visit that skips two levels (越级, §20 ¶1)

    @property
    def other_matters(self) -> list[Hint]:
        """The same petitioner's other matters: not repeats of this one."""
        return [h for h in self.person if not h.same_matter]

    def __iter__(self) -> Iterator[Hint]:
        yield from self.person
        yield from self.content

    def __len__(self) -> int:
        return len(self.person) + len(self.content)

    @property
    def masked(self) -> bool:
        return any(not h.visible for h in self)


def _same_person(petitioners: Sequence[services.PetitionerIn],
                 exclude_id: int | None = None, **kw: Any) -> list[Matter]:
    if not any(p.id_number or p.phone for p in petitioners):
        return []
    return services.find_repeats(petitioners, exclude_id=exclude_id, **kw)


def _text_checkable(title: str, content: str) -> bool:
    return len((title or "").strip()) + len((content or "").strip()) >= MIN_TEXT


def _category_agrees(a: Category | None, b: Category | None) -> bool:
    """Both unclassified, or in the same top-level category (分类一级)."""
    return a is None or b is None or a.path.split("/")[0] == b.path.split("/")[0]


def _division_agrees(a: str, b: str) -> bool:
    """The same place or one inside the other (a registrar may pick the village, another
    the township): one line of the division tree."""
    return a == b or a.startswith(b + "/") or b.startswith(a + "/")


def same_matter_scores(earlier: Sequence[Matter], title: str, content: str,
                       division: Division | None, category: Category | None,
                       accused_body: Body | None = None) -> dict[int, float]:
    """Of the same petitioner's ``earlier`` matters, those about the same matter: id → score
    (text at or above the threshold, one line of divisions, the same top-level category)."""
    if not earlier or not _text_checkable(title, content):
        return {}
    scores, threshold = person_matter_scores(title, content, earlier, accused_body)
    return {m.pk: scores[m.pk] for m in earlier
            if scores.get(m.pk, 0.0) >= threshold
            and (division is None or _division_agrees(m.division_path, division.path))
            and _category_agrees(m.category, category)}


def _hint(kind: str, m: Matter, visible: bool, c: Candidate | None = None,
          score: float | None = None, same: bool = False) -> Hint:
    if c is not None:
        percent: int | None = c.percent
        same = c.same_matter
    else:
        percent = round(100 * score) if score is not None else None
    if not visible:
        return Hint(kind, False, percent=percent, same_matter=same)
    return Hint(kind, True, matter_id=m.pk, number=m.number, title=m.title,
                state_label=str(m.state_label),
                unit=m.lead_body.name if m.lead_body_id and m.lead_body else "",
                division=m.division.name if m.division_id else "",
                received_on=timezone.localdate(m.received_at), percent=percent,
                same_matter=same, same_division=c.same_division if c is not None else False)


def _best(scores: dict[int, float], people: Sequence[Matter]) -> Matter | None:
    """The highest score; on a tie the newest (``people`` comes newest first); then back
    along the repeat links to the original."""
    best: Matter | None = None
    for m in people:
        if m.pk in scores and (best is None or scores[m.pk] > scores[best.pk]):
            best = m
    # A repeat links to the original (原件): when the best is itself a repeat of another of
    # this person's same-matter matters, follow the link back to it.
    by_pk = {m.pk: m for m in people}
    seen: set[int] = set()
    while (best is not None and best.repeat_of_id in scores and best.repeat_of_id in by_pk
           and best.pk not in seen):
        seen.add(best.pk)
        best = by_pk[best.repeat_of_id]
    return best


def repeat_hints(user: User, petitioners: Sequence[services.PetitionerIn], title: str,
                 content: str, division: Division | None, accused_body: Body | None = None,
                 *, exclude_id: int | None = None, category: Category | None = None,
                 channel: str = "", klass: str = "") -> Hints:
    """Earlier matters of the same petitioner and of the same matter, through the read gate,
    with the proposed repeat link and the refusal it calls for at the user's body."""
    people = _same_person(petitioners, exclude_id)
    text_ok = _text_checkable(title, content)
    same = same_matter_scores(people, title, content, division, category, accused_body)
    cands = (same_matter_candidates(title, content, division, accused_body, exclude_id=exclude_id)
             if text_ok else [])
    ids = {m.pk for m in people} | {c.matter.pk for c in cands}
    visible = set(access.visible_matters(user).filter(pk__in=ids).values_list("pk", flat=True)
                  ) if ids else set()
    person = [_hint(PERSON, m, m.pk in visible, score=same.get(m.pk), same=m.pk in same)
              for m in people]
    original = _best(same, people)
    repeat = next((h for h, m in zip(person, people, strict=True) if m is original), None)
    body = user.body if user.body_id else None
    skip = (body is not None and division is not None
            and level_skip(channel, body, division))
    return Hints(
        person=person,
        content=[_hint(CONTENT, c.matter, c.matter.pk in visible, c) for c in cands],
        person_checked=any(p.id_number or p.phone for p in petitioners),
        content_checked=text_ok,
        repeat=repeat,
        proposal=(proposal(user, original, body, klass=klass, level_skip=skip)
                  if body is not None else None),
        level_skip=skip,
    )


def auto_repeat_of(reg: services.Registration) -> Matter | None:
    """The same petitioner *and* the same matter: the earlier matter to link, else None."""
    if not _text_checkable(reg.title, reg.content):
        return None  # no text to compare: never the same matter by the person alone
    people = _same_person(reg.petitioners, related=("category",))
    return _best(same_matter_scores(people, reg.title, reg.content, reg.division, reg.category,
                                    reg.accused_body), people)


NOT_REPEAT = "new"  # the panel's answer "not the same matter" (new facts or reasons, §8.6)


def confirmed_repeat(user: User, value: str | None) -> Matter | None:
    """The matter the officer confirmed as "same matter" on the 查重 panel (if visible)."""
    if not value or not str(value).isdigit():
        return None
    return access.visible_matters(user).filter(pk=int(value)).first()


def apply_panel_choice(user: User, reg: services.Registration, value: str | None) -> None:
    """The officer's answer on the 查重 panel, set on ``reg`` for ``services.register``:
    a matter confirmed as the same one (one the user may open), or "not the same matter"
    (new facts or reasons, §8.6) — which rejects only a proposed link the user can see: a
    masked original stays linked (the record of §19 ¶3 is not the registrar's to drop)."""
    confirmed = confirmed_repeat(user, value)
    if confirmed is not None:
        reg.repeat_of, reg.repeat_decided = confirmed, True
    elif value == NOT_REPEAT:
        proposed = auto_repeat_of(reg)
        if proposed is None or access.can_open(user, proposed):
            reg.repeat_of, reg.repeat_decided = None, True


# --------------------------------------------------------------------------- N1 / N2 / N3


def level_skip(channel: str, body: Body, division: Division) -> bool:
    """越级走访 (§20 ¶1, N3): a visit brought to ``body`` about a problem at ``division``."""
    body_div = body.division
    covers = division.path == body_div.path or division.path.startswith(body_div.path + "/")
    return repeats.is_level_skip(is_visit=channel == Channel.VISIT, body_level=body_div.level,
                                 problem_level=division.level, body_covers_problem=covers)


def _ancestors(body: Body) -> set[int]:
    seen: set[int] = set()
    b = body.parent
    while b is not None and b.pk not in seen and len(seen) < 12:
        seen.add(b.pk)
        b = b.parent
    return seen


def _below(original: Matter, new_body: Body) -> bool:
    """The original is held or handled by a body below ``new_body`` (§19 ¶3 上级机关): by the
    division tree (the new body's division strictly contains the other's) or by 上一级机关."""
    top = new_body.division.path
    for b in (original.holder, original.lead_body):
        if b is None or b.pk == new_body.pk:
            continue
        if b.division.path.startswith(top + "/") or new_body.pk in _ancestors(b):
            return True
    return False


def recheck_done(o: Matter) -> bool:
    """A 复核 opinion ended the matter (已终结, or archived after it): §36 ¶3."""
    if o.state == st.State.FINAL:
        return True
    return (o.state == st.State.ARCHIVED and o.recheck_body_id is not None
            and Event.objects.filter(matter=o, action="issue_recheck").exists())


@dataclass(frozen=True)
class Proposal:
    """The refusal a repeat (or a level-skipping visit) calls for, for the officer to
    confirm in the 不予受理 form: the code, its rule and a reason naming the original."""

    code: str  # N1 | N2 | N3
    reason: str
    original_id: int | None = None

    @property
    def rule(self) -> str:
        return st.NOT_ACCEPTED_REASONS[self.code]

    @property
    def refusal(self) -> str:
        """不再受理 after a 复核 (§36 ¶3); 不予受理 otherwise."""
        return gettext_noop("不再受理") if self.code == "N2" else gettext_noop("不予受理")


def _reason(code: str, o: Matter | None) -> str:
    if code == "N2" and o is not None:
        return (f"该信访事项（原件 {o.number}）已经复核终结，信访人以同一事实和理由再次提出；"
                "依照《信访工作条例》第三十六条第三款，不再受理。")
    if code == "N1" and o is not None:
        unit = (o.lead_body or o.holder).name
        return (f"同一信访事项（原件 {o.number}）已由{unit}受理或正在办理，且在规定期限内；"
                f"依照《信访工作条例》第十九条第三款，本机关不予受理，请等待{unit}的处理意见。")
    return ("信访人越过有权处理的本级和上一级机关走访；依照《信访工作条例》第二十条第一款，"
            "请向有权处理的本级或者上一级机关提出。")


def proposal(user: User, original: Matter | None, new_body: Body, *, klass: str = "",
             level_skip: bool = False) -> Proposal | None:
    """N2, N1 (for a repeat of ``original`` brought to ``new_body``) or N3 (for a
    level-skipping visit with a 申诉求决 matter), else None. N1/N2 are proposed only to a
    user who may open the original: the code alone would tell its state (§30 ¶3)."""
    if original is not None and access.can_open(user, original):
        code = repeats.refusal_code(repeats.Original(
            state=st.State(original.state), recheck_done=recheck_done(original),
            next_due=original.next_due, below_new_body=_below(original, new_body),
        ), clocks.today())
        if code:
            return Proposal(code, _reason(code, original), original.pk)
    code = repeats.level_skip_code(level_skip=level_skip, klass=klass)
    return Proposal(code, _reason(code, None)) if code else None


def matter_proposal(user: User, matter: Matter) -> Proposal | None:
    """The proposal for a registered matter (its 不予受理 form is preselected with it)."""
    return proposal(user, matter.repeat_of, matter.holder, klass=matter.klass,
                    level_skip=matter.level_skip)


# --------------------------------------------------------------------------- masked links


@dataclass(frozen=True)
class RepeatLink:
    """A matter's link to its original, as far as the viewer may know it."""

    visible: bool
    matter_id: int | None = None
    number: str = ""

    @property
    def label(self) -> str:
        return self.number if self.visible else MASKED


def repeat_link(user: User, matter: Matter) -> RepeatLink | None:
    """The repeat link of ``matter`` for ``user``: masked unless the read gate lets the user
    open the original (issue 14 item 2)."""
    original = matter.repeat_of
    if original is None:
        return None
    if access.can_open(user, original):
        return RepeatLink(True, original.pk, original.number)
    return RepeatLink(False)


def mask_note(note: str, matter: Matter, link: RepeatLink | None) -> str:
    """A timeline note with the original's number replaced when the link is masked (the
    registration note reads "……，原件 <number>")."""
    if link is None or link.visible or matter.repeat_of is None or not note:
        return note
    number = matter.repeat_of.number
    return note.replace(f"原件 {number}", MASKED).replace(number, MASKED)

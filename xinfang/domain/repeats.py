"""Repeat petitions (procedure.md §8.6, §4.8 N1–N3): which refusal a same-matter repeat
calls for, and when a visit skips levels (越级). Plain Python: no Django, no database.

A *repeat* is the same petitioner (or group) with the same matter; a same-person petition
about another matter is a new matter (初信初访 for it). The finder lives in
``petitions.intel.hints``; the rules it applies to what it found are here:

- **N1** (§19 ¶3): the same matter is accepted or being handled (open, before the answer) and
  within its time limit, and the petitioner now brings it to a body *above* the one that
  holds or handles it → the upper body does not accept it (不予受理).
- **N2** (§36 ¶3): a 复核 opinion has ended the matter (终结) and the petitioner comes again
  with the same facts and reasons → every body 不再受理. New facts or reasons make a new
  matter: the officer decides, and records why (§8.6).
- **N3** (§20 ¶1): a 走访 brought to a body that skips both the competent level and the next
  one up (越级走访); for a 申诉求决 matter the upper body does not accept it and guides the
  petitioner to the competent body.

Where the law is silent — which level is "本级" when several bodies may handle a matter — the
rule is *in doubt, for the petitioner*: the competent level is the county for a problem at
county level or below (county departments have power over nearly every matter in the
county, §22 ¶1), else the problem's own level; so a county matter brought to the city is not
越级, one brought to the province is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from .states import Klass, State

COUNTY = 3  # Division.Level.COUNTY: province 1, city 2, county 3, township 4, village 5

# "已经受理或者正在办理" (§19 ¶3): registered at, sent to or handled by a body, not yet answered.
BEING_HANDLED = frozenset({
    State.REGISTERED, State.DISPATCHED, State.SIGNED, State.OBJECTED, State.HANDLING,
    State.EXTENSION_PENDING,
})
# Answered, or under 复查/复核: the way on is the review the 条例 gives (§35, §36 ¶1).
UNDER_REVIEW_ROUTE = frozenset({
    State.REPLIED, State.REVIEW_REQUESTED, State.REVIEWED, State.RECHECK_REQUESTED,
    State.RECHECK_HEARING,
})


@dataclass(frozen=True)
class Original:
    """What the rules need to know of the earlier matter (the same person, the same matter)."""

    state: State
    recheck_done: bool  # a 复核 opinion was issued (state 已终结, or archived after it)
    next_due: date | None  # the nearest open deadline (None: no open clock)
    below_new_body: bool  # held or handled by a body below the body now asked (§19 ¶3)


def refusal_code(o: Original, today: date) -> str:
    """"N2", "N1" or "" (no refusal proposed) for a repeat of ``o`` (module docstring)."""
    if o.recheck_done:
        return "N2"
    if (o.state in BEING_HANDLED and o.below_new_body
            and (o.next_due is None or o.next_due >= today)):
        return "N1"
    return ""


def competent_level(problem_level: int) -> int:
    """The level of "本级" for a problem at ``problem_level`` (in doubt, for the petitioner)."""
    return min(problem_level, COUNTY)


def is_level_skip(*, is_visit: bool, body_level: int, problem_level: int,
                  body_covers_problem: bool) -> bool:
    """越级走访 (§20 ¶1, N3): a visit to a body two or more levels above the competent one.

    ``body_covers_problem``: the body's division contains the problem's place (a visit to
    another county's body is the wrong place, N7, not a level skip)."""
    return (is_visit and body_covers_problem
            and competent_level(problem_level) - body_level >= 2)


def level_skip_code(*, level_skip: bool, klass: str) -> str:
    """N3 for a level-skipping visit with a 申诉求决 matter (procedure.md §4.8), else ""."""
    return "N3" if level_skip and klass == Klass.APPEAL.value else ""

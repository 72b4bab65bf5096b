"""Where a matter may be sent, for the guards, the choice lists of both doors and the suggestion.

The rule itself is plain Python in ``xinfang.domain.routing`` (§22 ¶1–2, §30 ¶3); this module
turns bodies and matters into its facts:

- ``body_facts``: a body's id, name, kind and division path;
- ``shielded_body_ids``: the bodies a report may never reach (§30 ¶3) — the accused unit, every
  unit inside it (``Body.parent`` below it), and the same for the report a repeat follows;
- ``permitted_bodies``: the bodies the holder may choose for one act (the web's select and the
  API's ``bodies`` of ``GET …/actions`` offer exactly these);
- ``suggestion``: the routing rule's competent unit, never a shielded or unreachable one.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet

from xinfang.domain import routing as dr
from xinfang.domain.errors import DomainError
from xinfang.org.models import Body, RoutingRule

from .models import Matter

# A repeat of a repeat of a report stays shielded; the chain is short in practice.
MAX_REPEAT_DEPTH = 5
MAX_BODY_DEPTH = 6
PERSON_LOOKBACK = 2000  # earlier reports read to find the units of an accused person


def body_facts(body: Body) -> dr.BodyFacts:
    return dr.BodyFacts(body.pk, body.name, str(body.kind), body.division.path_codes())


def _holder_facts(matter: Matter, known: Iterable[Body] = ()) -> dr.BodyFacts:
    """The holding body's facts, without a query where it can: from bodies already loaded, or
    from the matter's own division path when the holder's division lies on it (a county 信访局
    holds the matters of its county)."""
    holder = matter.holder
    if Body.division.is_cached(holder):
        return body_facts(holder)
    for b in known:
        if b.pk == holder.pk and Body.division.is_cached(b):
            return body_facts(b)
    if matter.division_id is not None and Matter.division.is_cached(matter):
        codes = matter.division.path_codes()
        if holder.division_id in codes:
            return dr.BodyFacts(holder.pk, holder.name, str(holder.kind),
                                codes[: codes.index(holder.division_id) + 1])
    return body_facts(holder)


def active_bodies() -> QuerySet[Body]:
    return Body.objects.filter(active=True).select_related("division").order_by(
        "division__level", "division_id", "kind", "name")


def accused_body_ids(matter: Matter) -> set[int]:
    """The units a report accuses (§30 ¶3): the one it names, those named by the reports it
    repeats, and — when it names only a person — the units that earlier reports naming the
    same person accused. An ordinary 申诉求决 about a unit accuses nobody: it goes to that
    unit."""
    if not matter.is_report:
        return set()
    ids: set[int] = set()
    seen: set[int] = set()
    m: Matter | None = matter
    for _ in range(MAX_REPEAT_DEPTH):
        if m is None or (m.pk is not None and m.pk in seen):
            break
        if m.pk is not None:
            seen.add(m.pk)
        if m.is_report and m.accused_body_id:
            ids.add(m.accused_body_id)
        m = m.repeat_of if m.repeat_of_id else None
    if not ids and matter.accused_name.strip():
        ids |= _units_of_person(matter)
    return ids


def _same_name(a: str, b: str) -> bool:
    return "".join(a.split()) == "".join(b.split())


def _units_of_person(matter: Matter) -> set[int]:
    """The units earlier reports accused together with the person this report names (the
    name is encrypted at rest, so the newest reports are read and compared)."""
    name = matter.accused_name
    earlier = (Matter.objects.filter(klass=matter.klass, accused_body__isnull=False)
               .exclude(pk=matter.pk)
               .only("accused_name", "accused_body_id").order_by("-id")[:PERSON_LOOKBACK])
    return {m.accused_body_id for m in earlier
            if m.accused_body_id is not None and _same_name(m.accused_name, name)}


def units_inside(body_ids: Iterable[int]) -> set[int]:
    """The bodies and every body below them by ``Body.parent`` ("anyone in it")."""
    found = set(body_ids)
    frontier = set(found)
    for _ in range(MAX_BODY_DEPTH):
        if not frontier:
            break
        frontier = set(Body.objects.filter(parent_id__in=frontier).exclude(pk__in=found)
                       .values_list("pk", flat=True))
        found |= frontier
    return found


def own_system_below(body_id: int) -> set[int]:
    """§23 ¶1: the lower bodies of a body's own system, where a body that is not a 信访部门 may
    forward what was brought to it."""
    return units_inside([body_id]) - {body_id}


def shielded_body_ids(matter: Matter) -> frozenset[int]:
    """The bodies a matter may never be sent to or assisted by (§30 ¶3); computed once per
    loaded matter (a page builds several forms from it)."""
    cached: frozenset[int] | None = getattr(matter, "_shielded_body_ids", None)
    if cached is not None:
        return cached
    accused = accused_body_ids(matter)
    shielded = frozenset(units_inside(accused)) if accused else frozenset()
    if matter.pk is not None:
        matter._shielded_body_ids = shielded  # type: ignore[attr-defined]
    return shielded


def permitted_bodies(matter: Matter, act: str, bodies: Iterable[Body] | None = None,
                     *, shielded: frozenset[int] | None = None) -> list[Body]:
    """The bodies the matter's holder may send it to by ``act`` (§22 ¶1–2, §30 ¶3)."""
    candidates = list(bodies) if bodies is not None else list(active_bodies())
    shield = shielded_body_ids(matter) if shielded is None else shielded
    if act not in dr.ROUTING_ACTS:
        return [b for b in candidates if b.pk != matter.holder_id and b.pk not in shield]
    src = _holder_facts(matter, candidates)
    allowed = [b for b in candidates
               if dr.refusal(act, src, body_facts(b), shielded=shield) is None]
    if act in ("forward", "assign") and matter.holder.handles_directly:
        # §23 ¶1: a unit forwards what was brought to it only to a lower body of its own
        # system (the guard effects_intake._within_own_system refuses anything else).
        below = own_system_below(matter.holder_id)
        allowed = [b for b in allowed if b.pk in below]
    return allowed


def suggestion(matter: Matter) -> dr.Suggestion | None:
    """§22 ¶1 (2): the competent unit for (category, division) — never a shielded unit
    (§30 ¶3), nor one the holder could not send the matter to by any act."""
    category = matter.category if matter.category_id else None
    if category is None or matter.division_id is None:
        return None
    rows = list(RoutingRule.objects.select_related("category", "division", "body__division")
                .filter(body__active=True))
    exclude = set(shielded_body_ids(matter))
    src = _holder_facts(matter) if matter.holder_id else None
    if src is not None:
        for r in rows:
            facts = body_facts(r.body)
            if all(dr.refusal(act, src, facts) is not None for act in dr.ROUTING_ACTS):
                exclude.add(r.body_id)
    rules = [dr.Rule(r.category.path_codes(), r.division.path_codes(), r.body_id, r.body.name,
                     r.priority, r.note) for r in rows]
    try:
        return dr.suggest(rules, category.path_codes(), matter.division.path_codes(),
                          category_names={r.category.code: r.category.name for r in rows},
                          division_names={r.division.code: r.division.name for r in rows},
                          exclude_body_ids=frozenset(exclude))
    except DomainError:
        return None


def route_facts(matter: Matter, data: dict[str, object]) -> tuple[
        dr.BodyFacts, dict[int, dr.BodyFacts], frozenset[int]]:
    """The guard's facts for sending ``matter`` to the bodies named in ``data``: the holder,
    the named active bodies by id, the shielded ids."""
    ids: set[int] = set()
    for raw in [data.get("to_body"), *_as_list(data.get("assist_bodies"))]:
        pk = as_body_id(raw)
        if pk is not None:
            ids.add(pk)
    targets = {b.pk: body_facts(b)
               for b in Body.objects.filter(pk__in=ids, active=True).select_related("division")}
    return body_facts(matter.holder), targets, shielded_body_ids(matter)


def as_body_id(raw: object) -> int | None:
    if isinstance(raw, Body):
        return raw.pk
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    if isinstance(raw, str) and raw.strip().isdigit():
        return int(raw.strip())
    return None


def _as_list(raw: object) -> list[object]:
    if isinstance(raw, list | tuple | set | frozenset):
        return list(raw)
    return [] if raw in (None, "") else [raw]

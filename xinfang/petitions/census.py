"""The statistics: matters per state and per holder within what a user may see (issue 19 item
3; the peer's stats page), answered from the census counters (``domain.tally.CENSUS``) that the
services keep in each write's transaction, not by counting a million matters.

Every matter is counted once under its own division (body 0) and once under each body that sees
it as its own (``domain.tally.census``). The read gate (``access.visible_matters``) is then a
sum of counter rows, without counting a matter twice: a body or role with a jurisdiction sees
its division's subtree (the division rows of the subtree's codes) plus the matters its body
owns outside it (its body rows whose division lies outside); any other body sees its body rows;
an administrator every division row; the accused body of a 检举控告 never sees it (§30 ¶3:
``accused_id``). ``from_rows`` counts the same over the matters (the tests hold them equal).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.db.models import Count, Q, Sum

from xinfang.domain import tally as dt
from xinfang.domain.states import Role
from xinfang.org.models import Body, Division, User

from . import access
from .models import Tally


def census_q(user: User) -> Q | None:
    """The census rows that add up to ``access.visible_matters(user)``; None: nothing.
    Mirrors visible_matters: change both together."""
    if not user.is_authenticated:
        return None
    if user.is_superuser or user.role == Role.ADMIN:
        return Q(body_id=0)
    body = user.body
    if body is None:
        return None
    q = Q(body_id=body.pk)
    if body.kind in access.JURISDICTION_KINDS or Role(user.role) in access.JURISDICTION_ROLES:
        path = body.division.path
        inside = Q(division_id__in=Division.objects.filter(
            Q(path=path) | Q(path__startswith=path + "/")).values("code"))
        q = (Q(body_id=0) & inside) | (q & ~inside)
    return q & ~Q(accused_id=body.pk)


def township_rows_answer(user: User) -> bool:
    """Whether ``census_q`` read on counters kept per township (``domain.tally.INTAKE``:
    ``division_id`` is the matter's township, ``domain.tally.division_key``) is still the read
    gate: yes unless the user's jurisdiction lies below the township (a township key does not
    say which village a matter is in). The same rule as ``practice.indicator_scope.Scope.
    tally_q``; such a user is answered from the matters."""
    body = user.body if user.is_authenticated else None
    if body is None or user.is_superuser or user.role == Role.ADMIN:
        return True
    if body.kind in access.JURISDICTION_KINDS or Role(user.role) in access.JURISDICTION_ROLES:
        return body.division.path.count("/") < dt.DIVISION_DEPTH
    return True


def _counts(pairs: Any) -> dict[str, Any]:
    by_state: Counter[str] = Counter()
    by_holder: Counter[int] = Counter()
    for state, holder, n in pairs:
        if n:
            by_state[state] += n
            by_holder[int(holder or 0)] += n
    return {"total": sum(by_state.values()), "by_state": dict(by_state),
            "by_holder": dict(by_holder)}


def statistics(user: User) -> dict[str, Any]:
    """Matters per state and per holder that ``user`` may see: one query over the census
    counters (a few thousand rows however many matters there are)."""
    q = census_q(user)
    if q is None:
        return _counts([])
    return _counts(Tally.objects.filter(q, metric=dt.CENSUS, day=dt.NO_DAY).order_by()
                   .values_list("dim", "bucket").annotate(s=Sum("n"))
                   .values_list("dim", "bucket", "s"))


def from_rows(user: User) -> dict[str, Any]:
    """The same counted over the matters the read gate lets ``user`` see (for the tests and
    the benchmark's comparison: at 1,000,000 matters this scans them)."""
    return _counts(access.visible_matters(user).order_by().values_list("state", "holder_id")
                   .annotate(n=Count("*")).values_list("state", "holder_id", "n"))


def labelled(stats: dict[str, Any]) -> dict[str, Any]:
    """``statistics`` with the states' and holders' names, largest first (the API's shape)."""
    from django.utils.translation import gettext

    from xinfang.domain.states import STATE_LABELS, State

    names = dict(Body.objects.filter(pk__in=[h for h in stats["by_holder"] if h])
                 .values_list("pk", "name"))
    states = sorted(stats["by_state"].items(), key=lambda kv: (-kv[1], kv[0]))
    holders = sorted(stats["by_holder"].items(), key=lambda kv: (-kv[1], kv[0]))
    return {
        "total": stats["total"],
        "by_state": [{"state": s, "label": gettext(STATE_LABELS[State(s)])
                      if s in State._value2member_map_ else s, "count": n} for s, n in states],
        "by_holder": [{"holder_id": h or None, "holder": names.get(h, ""), "count": n}
                      for h, n in holders],
    }

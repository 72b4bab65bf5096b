"""The one evaluator of ``xinfang.domain.acts``: may this user do this act (here, on this)?

Front doors call ``may`` to decide what to offer; services call ``require`` before they
write, so an act refused at one door is refused at every door. The scope predicates read
the same rules as the read gate (``access``), never a copy of them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from xinfang.domain import acts
from xinfang.domain.acts import Where
from xinfang.domain.errors import Forbidden, GuardFailed
from xinfang.domain.states import OPEN_STATES, Role, State
from xinfang.org.models import Body

from . import access
from .models import Dispatch, Matter

# Bodies with territorial responsibility over their division (§15 ¶3): besides the
# 信访部门 and 党委政府 of the read gate, townships keep their own ledgers.
TERRITORIAL_KINDS = frozenset({*access.JURISDICTION_KINDS, Body.Kind.TOWNSHIP})


def _role_ok(user: Any, act: acts.Act) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return acts.role_may(act.name, user.role, superuser=bool(user.is_superuser))


def has_jurisdiction(user: Any) -> bool:
    """Jurisdiction over the user's division: 信访部门, 党委政府, 乡镇, leaders, 督查, admins."""
    if user.is_superuser or user.role == Role.ADMIN:
        return True
    body = user.body
    if body is None:
        return False
    return body.kind in TERRITORIAL_KINDS or Role(user.role) in access.JURISDICTION_ROLES


def covers(user: Any, path: str) -> bool:
    """The user's body has jurisdiction over ``path`` (its division or below)."""
    if user.is_superuser or user.role == Role.ADMIN:
        return True
    if user.body is None:
        return False
    own = user.body.division.path
    return path == own or path.startswith(own + "/")


def _dispatches(matter: Matter, dispatches: Iterable[Dispatch] | None) -> list[Dispatch]:
    return list(dispatches) if dispatches is not None else list(matter.dispatches.all())


def _where_ok(user: Any, act: acts.Act, matter: Matter | None, path: str | None,
              dispatches: Iterable[Dispatch] | None) -> bool:
    w = act.where
    if w == Where.ANYWHERE:
        return True
    if w == Where.OWN_BODY:
        return bool(user.is_superuser or user.body_id is not None)
    if w == Where.JURISDICTION:
        return has_jurisdiction(user) and (path is None or covers(user, path))
    if matter is None:  # a matter act asked without a matter: the role decides what to offer
        return True
    if w == Where.MATTER:
        return access.can_open(user, matter)
    if w == Where.CHAIN:
        return bool(user.is_superuser or access.in_handling_chain(user, matter, dispatches))
    if w == Where.CONFIDENTIAL:
        return access.confidential_ok(user, matter, dispatches)
    if w == Where.IDENTITY:
        return access.may_reveal(user, matter, dispatches)
    if w == Where.ASSIGNEE:
        from .services import current_lead_dispatch

        lead = current_lead_dispatch(matter)
        return (lead is not None and lead.kind == Dispatch.Kind.ASSIGN
                and lead.to_body_id == user.body_id)
    if w == Where.ASSISTANT:
        return assist_dispatch(user, matter, dispatches) is not None
    if w == Where.HOLDER:
        return bool(user.is_superuser or (user.body_id is not None
                                          and user.body_id == matter.holder_id))
    if w == Where.LEAD:
        return matter.lead_body_id is not None and matter.lead_body_id == user.body_id
    raise AssertionError(f"unknown scope {w}")  # pragma: no cover


def may(user: Any, name: str, *, matter: Matter | None = None, path: str | None = None,
        dispatches: Iterable[Dispatch] | None = None) -> bool:
    """Whether ``user`` may do act ``name`` (on ``matter`` / at the place ``path``)."""
    act = acts.ACTS[name]
    if not _role_ok(user, act):
        return False
    if matter is not None and getattr(user, "pk", None) in (matter.recused_ids or ()):
        return False  # §28 ¶3: a member of staff who stepped aside takes no act on it
    if act.open_only and matter is not None and State(matter.state) not in OPEN_STATES:
        return False
    return _where_ok(user, act, matter, path, dispatches)


def require(user: Any, name: str, *, matter: Matter | None = None, path: str | None = None,
            dispatches: Iterable[Dispatch] | None = None) -> None:
    """Raise the act's refusal (Forbidden, in Chinese) unless ``may``; a closed matter for an
    open-only act is a GuardFailed (409), as for the state machine."""
    act = acts.ACTS[name]
    if not _role_ok(user, act) or not _where_ok(user, act, matter, path, dispatches):
        raise Forbidden(act.refusal)
    if act.open_only and matter is not None and State(matter.state) not in OPEN_STATES:
        raise GuardFailed(f"事项已办结，无需{act.label}")


def assist_dispatch(user: Any, matter: Matter,
                    dispatches: Iterable[Dispatch] | None = None) -> Dispatch | None:
    """The 协办 dispatch of ``matter`` addressed to the user's unit (§24): the newest that
    still owes an opinion, else the newest."""
    if user.body_id is None:
        return None
    mine = sorted((d for d in _dispatches(matter, dispatches)
                   if d.role == Dispatch.Role.ASSIST and d.to_body_id == user.body_id),
                  key=lambda d: (d.state != Dispatch.DState.REPLIED, d.pk))
    return mine[-1] if mine else None


def offered(user: Any, names: Iterable[str], **kw: Any) -> dict[str, bool]:
    """``may`` for several acts at once (the pages' buttons, the parity test)."""
    return {n: may(user, n, **kw) for n in names}

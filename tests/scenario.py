"""A matter in any state, built through the real services (the only builder the tests use).

``matter(county, "replied")`` registers the standard 物业 matter and walks it along the main
path of the 条例; ``advance(county, m, "reviewed")`` walks an existing matter further. Each step
is the service a user would call, so clocks, 文书, events and audit rows are real. Call under a
frozen clock at or after the registration time (the step dates default to today).

Main path: registered → dispatched (转送 to 住建, §22 ¶1) → signed (§23 ¶3) → handling (受理
并告知, §23 ¶3) → replied (处理意见书, §32) → review_requested → reviewed (§35) →
recheck_requested → final (复核, §36 ¶3). Side states: objected (退回异议 from dispatched,
§23 ¶3), extension_pending (§34, from handling), closed (调解结案 from handling, §33),
archived (closed, then 归档).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone

from xinfang.domain import idcard
from xinfang.petitions import clocks, services
from xinfang.petitions.models import Matter
from xinfang.petitions.services import PetitionerIn, Registration

ID_A = idcard.make("99012119800101123")
ID_B = idcard.make("99012119900202234")

MAIN_PATH = ("registered", "dispatched", "signed", "handling", "replied", "review_requested",
             "reviewed", "recheck_requested", "final")
# A side state: the main-path state it branches from.
SIDE = {"objected": "dispatched", "extension_pending": "handling", "closed": "handling",
        "archived": "closed"}
STATES = (*MAIN_PATH, *SIDE)

REPLY = {"outcome": "supported", "facts": "经查属实", "opinion": "责令退还",
         "legal_basis": "《物业管理条例》", "service_method": "当面"}
REVIEW = {"review_outcome": "upheld", "facts": "属实", "opinion": "维持", "legal_basis": "§35",
          "service_method": "邮寄"}
RECHECK = {**REVIEW, "legal_basis": "§36"}


def registration(county, *, when: datetime, klass: str = "appeal", phone: str = "13800138000",
                 id_number: str = ID_A, **kw) -> Registration:
    base = dict(
        channel="visit",
        title="小区物业乱收停车费",
        request="请求责令物业公司退还多收的停车费",
        content="阳光小区物业公司自今年起每月多收停车费200元，业主多次反映无果。",
        division=county.villages[0],
        received_at=when,
        klass=klass,
        category=county.categories["CX01"],
        petitioners=[PetitionerIn(name="王大明", id_number=id_number, phone=phone,
                                  address="安平县城关镇东门社区3栋")],
    )
    base.update(kw)
    return Registration(**base)


def register(county, when: datetime, **kw) -> Matter:
    return services.register(registration(county, when=when, **kw), holder=county.xinfang,
                             user=county.users["registrar"])


def _path(state: str) -> list[str]:
    if state in SIDE:
        return [*_path(SIDE[state]), state]
    if state not in MAIN_PATH:
        raise ValueError(f"unknown state {state!r}; one of {', '.join(STATES)}")
    return list(MAIN_PATH[: MAIN_PATH.index(state) + 1])


def advance(county, m: Matter, state: str, *, to=None, route: str = "按§31（六）办理",
            reply: dict[str, Any] | None = None, review: dict[str, Any] | None = None,
            recheck: dict[str, Any] | None = None) -> Matter:
    """Walk ``m`` from where it stands to ``state`` (see the module docstring for the path).

    ``to`` is the lead unit (default 住建, whose handler is ``county.users["handler"]``);
    ``reply``/``review``/``recheck`` override fields of the documents (``served_on`` defaults
    to today)."""
    u = county.users
    unit = to or county.dept("住建")
    handler = u["handler"] if unit == county.dept("住建") else \
        next(x for x in u.values() if x.body_id == unit.pk and x.role == "handler")
    today = clocks.today().isoformat()
    steps = {
        "dispatched": lambda m: services.transition(m, "forward", user=u["officer"],
                                                    data={"to_body": unit.pk}),
        "signed": lambda m: services.transition(m, "sign", user=handler),
        "objected": lambda m: services.transition(m, "object", user=handler,
                                                  data={"reason": "不属于本单位职责"}),
        "handling": lambda m: services.transition(m, "accept", user=handler,
                                                  data={"route": route}),
        "extension_pending": lambda m: services.transition(
            m, "request_extension", user=handler, data={"days": 30, "reason": "需要测绘"}),
        "closed": lambda m: services.transition(m, "mediate", user=handler,
                                                data={"agreement": "双方达成和解协议",
                                                      "agreement_kind": "reconciliation",
                                                      "other_party": "阳光小区物业公司",
                                                      "consent": "both"}),
        "archived": lambda m: services.transition(m, "archive", user=u["officer"]),
        "replied": lambda m: services.transition(m, "reply", user=handler, data={
            **REPLY, "served_on": today, **(reply or {})}),
        "review_requested": lambda m: services.transition(m, "request_review", citizen=True,
                                                          data={"reason": "不服处理意见"}),
        "reviewed": lambda m: services.transition(m, "issue_review", user=u["gov_officer"],
                                                  data={**REVIEW, "served_on": today,
                                                        **(review or {})}),
        "recheck_requested": lambda m: services.transition(m, "request_recheck", citizen=True,
                                                           data={"reason": "仍不服"}),
        "final": lambda m: services.transition(m, "issue_recheck", user=u["city_officer"],
                                               data={**RECHECK, "served_on": today,
                                                     **(recheck or {})}),
    }
    path = _path(state)
    if m.state not in path:
        raise ValueError(f"a {m.state} matter does not lead to {state}")
    for step in path[path.index(m.state) + 1:]:
        m = steps[step](m)
    assert m.state == state, (m.state, state)
    return m


def matter(county, state: str = "registered", *, when: datetime | None = None, to=None,
           route: str = "按§31（六）办理", reply: dict[str, Any] | None = None,
           review: dict[str, Any] | None = None, recheck: dict[str, Any] | None = None,
           **registration_kw: Any) -> Matter:
    """Register a matter received at ``when`` (default now; other keywords go to
    :func:`registration`) and walk it to ``state``."""
    m = register(county, when or timezone.now(), **registration_kw)
    return advance(county, m, state, to=to, route=route, reply=reply, review=review,
                   recheck=recheck)

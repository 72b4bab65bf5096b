"""§40: the written feedback on a 督办 (¶1), the three recommendations of a 信访部门 (¶1–¶3)
and the receiving body's written feedback on their adoption (¶4).

- 督办 feedback (¶1): the supervised body answers a 督办单 in writing; that meets its S1
  clock (``unit_acts.supervise`` starts it). The supervisor accepts the answer (the 督办 is
  resolved) or asks again (a new feedback date and a new S1 clock; the earlier answer stays in
  the timeline and the audit log).
- Recommendations (¶1–¶3): 改进工作 (¶1, to the body whose work went wrong), 完善政策 (¶2, to
  the 本级党委和政府 or the body that makes the policy), 追究责任 (¶3). Only a 党委和政府信访部门
  issues them (the article's subject), to a body inside its jurisdiction. Each issues a 建议书
  (not to the petitioner) and starts D12, owed by the receiving body.
- 追究责任 goes "向有管理权限的机关、单位": the body at fault is named (``concerns_body``) and
  the recommendation goes to the body above it (``Body.parent``, which manages it) or to a
  纪检监察机关 whose division covers it (which holds public officials to account under the
  监察法) — never to the body at fault itself, which cannot judge its own liability.
- Adoption feedback (¶4): 采纳 / 部分采纳 / 不采纳 with reasons, in writing, meets D12 (30 日 as
  in 2005 §36 ¶2; an administrator may make it stricter through the clock policy).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from xinfang.audit import services as audit
from xinfang.domain import acts
from xinfang.domain import fields as df
from xinfang.domain.errors import Forbidden, GuardFailed, MissingFields
from xinfang.org.models import Body, User

from .. import clocks, permissions
from ..models import Clock, Document, Matter, Recommendation, Supervision
from ..routing import shielded_body_ids
from .records import issue_document
from .records import record_event as _event

RECOMMEND_ACTS: dict[str, str] = {
    "recommend_improve": Recommendation.Kind.IMPROVE,
    "recommend_policy": Recommendation.Kind.POLICY,
    "recommend_accountability": Recommendation.Kind.ACCOUNTABILITY,
}
RECOMMEND_ARTICLES: dict[str, str] = {Recommendation.Kind.IMPROVE: "§40 ¶1", Recommendation.Kind.POLICY: "§40 ¶2",
                      Recommendation.Kind.ACCOUNTABILITY: "§40 ¶3"}
# Acts on one matter (the matter door) and acts on what a body owes (the oversight door).
MATTER_ACTS = frozenset(RECOMMEND_ACTS)
OWED_ACTS = frozenset({"supervision_feedback", "review_supervision_feedback",
                       "recommendation_feedback"})
OVERSIGHT_ACTS = MATTER_ACTS | OWED_ACTS


def _clean(data: dict[str, Any], name: str) -> dict[str, Any]:
    """The act's fields (``df.ACT_FIELDS``): text stripped and within its limit, the required
    ones present — the same check at both doors."""
    required, optional = df.ACT_FIELDS[name]
    out: dict[str, Any] = {}
    for n in (*required, *optional):
        v = data.get(n)
        if isinstance(v, str):
            v = v.strip()
            limit = df.FIELDS[n].max_length
            if limit is not None and len(v) > limit:
                raise GuardFailed(f"{df.FIELDS[n].label}不能超过{limit}字")
        out[n] = v
    missing = [n for n in required if out.get(n) in (None, "")]
    if missing:
        raise MissingFields(missing)
    return out


def oversight_act(name: str, *, user: User, data: dict[str, Any],
                  matter: Matter | None = None) -> Supervision | Recommendation:
    """Run one §40 act with the input of either door."""
    if name not in OVERSIGHT_ACTS:
        raise GuardFailed(f"未知的操作：{name[:40]}")
    v = _clean(data, name)
    if name in RECOMMEND_ACTS:
        if matter is None:
            raise GuardFailed("建议须针对一件信访事项提出")
        return recommend(matter, name, user=user, to_body=v["to_body"],
                         concerns_body=v.get("concerns_body"), problem=v["problem"],
                         proposal=v["proposal"])
    if name == "recommendation_feedback":
        r = _recommendation(v["recommendation"])
        if matter is not None and r.matter_id != matter.pk:
            raise GuardFailed("建议书不存在")
        return recommendation_feedback(r, user=user, adoption=v["adoption"], text=v["text"])
    s = _supervision(v["supervision"])
    if matter is not None and s.matter_id != matter.pk:
        raise GuardFailed("督办单不存在")
    if name == "supervision_feedback":
        return supervision_feedback(s, user=user, text=v["text"])
    return review_supervision_feedback(s, user=user, review=v["review"],
                                       note=v.get("note") or "",
                                       feedback_days=v.get("feedback_days"))


def _supervision(pk: int) -> Supervision:
    s = Supervision.objects.select_related("matter", "body").filter(pk=pk).first()
    if s is None:
        raise GuardFailed("督办单不存在")
    return s


def _recommendation(pk: int) -> Recommendation:
    r = Recommendation.objects.select_related("matter", "to_body").filter(pk=pk).first()
    if r is None:
        raise GuardFailed("建议书不存在")
    return r


# --------------------------------------------------------------------------- 督办 feedback (¶1)


def supervision_feedback(supervision: Supervision, *, user: User, text: str) -> Supervision:
    """The supervised body's written answer to a 督办 (§40 ¶1); meets its S1 clock."""
    if not text.strip():
        raise MissingFields(["text"])
    with transaction.atomic():
        s = (Supervision.objects.select_for_update(of=("self",)).select_related("matter")
             .get(pk=supervision.pk))
        permissions.require(user, "supervision_feedback", matter=s.matter)
        if s.body_id is None or s.body_id != user.body_id:
            raise Forbidden(acts.ACTS["supervision_feedback"].refusal + "（§40 ¶1）")
        if s.feedback_due is None:
            raise GuardFailed("临期提醒无需书面反馈")
        if s.resolved_at is not None:
            raise GuardFailed("该督办已办结，无需再反馈")
        if s.feedback_at is not None:
            raise GuardFailed("已书面反馈，等待督办机关审核")
        today = clocks.today()
        s.feedback_text, s.feedback_at, s.feedback_by = text.strip(), timezone.now(), user
        s.save(update_fields=["feedback_text", "feedback_at", "feedback_by"])
        if s.feedback_clock_id is not None:
            Clock.objects.filter(pk=s.feedback_clock_id, met_on__isnull=True).update(met_on=today)
        late = s.feedback_due < today
        _event(s.matter, "supervision_feedback", gettext_noop("督办书面反馈"), s.matter.state,
               s.matter.state, user, "", note=text.strip()[:200], public=False,
               data={"supervision": s.pk, "late": late})
        audit.record("supervision_feedback", actor=user, object_type="supervision",
                     object_id=s.pk, matter_id=s.matter_id,
                     data={"feedback_due": s.feedback_due.isoformat(), "late": late})
        clocks.refresh_next_due(s.matter_id)
    return s


def review_supervision_feedback(supervision: Supervision, *, user: User, review: str,
                                note: str = "", feedback_days: int | None = None) -> Supervision:
    """The supervisor accepts the answer (the 督办 is resolved) or asks again (§40 ¶1)."""
    if review not in df.SUPERVISION_REVIEWS:
        raise GuardFailed("请选择审核结果")
    if review == "again" and not note.strip():
        raise GuardFailed("要求重新反馈时，请写明督办意见")
    with transaction.atomic():
        s = Supervision.objects.select_for_update(of=("self",)).select_related("matter", "body").get(
            pk=supervision.pk)
        permissions.require(user, "review_supervision_feedback", matter=s.matter)
        if s.resolved_at is not None:
            raise GuardFailed("该督办已办结")
        if s.feedback_at is None:
            raise GuardFailed("被督办单位尚未书面反馈")
        m, today = s.matter, clocks.today()
        data: dict[str, Any] = {"review": review, "answer": s.feedback_text[:500]}
        if review == "accepted":
            s.resolved_at = timezone.now()
            s.save(update_fields=["resolved_at"])
            label = gettext_noop("督办反馈已认可")
        else:
            due = today + timedelta(days=feedback_days) if feedback_days else None
            clock = clocks.start(m, "S1", today, body=s.body, due_override=due)
            s.note = f"{s.note}\n——重新督办（{today:%Y-%m-%d}）：{note.strip()}"
            s.feedback_due, s.feedback_clock = clock.due_on, clock
            s.feedback_text, s.feedback_at, s.feedback_by = "", None, None
            s.save(update_fields=["note", "feedback_due", "feedback_clock", "feedback_text",
                                  "feedback_at", "feedback_by"])
            data["feedback_due"] = clock.due_on.isoformat()
            label = gettext_noop("督办反馈要求重新反馈")
        _event(m, "review_supervision_feedback", label, m.state, m.state, user, "",
               note=note.strip()[:200], public=False, data={"supervision": s.pk, "review": review})
        audit.record("review_supervision_feedback", actor=user, object_type="supervision",
                     object_id=s.pk, matter_id=m.pk, data=data)
        clocks.refresh_next_due(m.pk)
    return s


# --------------------------------------------------------------------------- recommendations


def recommend_refusal(user: User, name: str, matter: Matter, to_body: Body,
                      concerns_body: Body | None) -> tuple[type[Forbidden | GuardFailed], str] | None:
    """Why this recommendation may not be made beyond the act's roles and scope, or None."""
    own = user.body
    if own is None or own.kind != Body.Kind.XINFANG:
        return Forbidden, "改进工作、完善政策、追究责任的建议由党委和政府信访部门提出（§40）"
    if not to_body.active:
        return GuardFailed, "接收单位已停用"
    if to_body.pk == own.pk:
        return GuardFailed, "建议应向有关机关、单位提出，不能向本机关提出"
    if not permissions.covers(user, to_body.division.path):
        return GuardFailed, f"{to_body.name}不在本机关辖区内，建议向辖区内的机关、单位提出（§40）"
    if to_body.pk in shielded_body_ids(matter):
        return GuardFailed, f"该事项不得交由被检举控告的{to_body.name}知悉（§30 ¶3）"
    if RECOMMEND_ACTS[name] != Recommendation.Kind.ACCOUNTABILITY:
        return None
    if concerns_body is None:
        return GuardFailed, "追究责任建议须写明被建议追责的机关、单位（§40 ¶3）"
    if concerns_body.pk == to_body.pk:
        return GuardFailed, ("追究责任建议向有管理权限的机关、单位提出，不能向被追责的单位本身提出"
                             "（§40 ¶3）")
    manages = to_body.pk == concerns_body.parent_id or (
        to_body.kind == Body.Kind.DISCIPLINE
        and (concerns_body.division.path == to_body.division.path
             or concerns_body.division.path.startswith(to_body.division.path + "/")))
    if not manages:
        return GuardFailed, (f"{to_body.name}对{concerns_body.name}没有管理权限：追究责任建议向其上一级"
                             "机关或者同级以上纪检监察机关提出（§40 ¶3）")
    return None


def recommend(matter: Matter, name: str, *, user: User, to_body: int | Body,
              concerns_body: int | Body | None, problem: str, proposal: str) -> Recommendation:
    """A 改进工作 / 完善政策 / 追究责任 recommendation (§40 ¶1–¶3): its 建议书 and D12."""
    kind = RECOMMEND_ACTS[name]
    if not problem.strip() or not proposal.strip():
        raise MissingFields([n for n, v in (("problem", problem), ("proposal", proposal))
                             if not v.strip()])
    with transaction.atomic():
        permissions.require(user, name, matter=matter)
        to = _body(to_body, "接收单位")
        concerns = _body(concerns_body, "被建议追责的机关、单位") if concerns_body else None
        why = recommend_refusal(user, name, matter, to, concerns)
        if why:
            raise why[0](why[1])
        issuer = user.body
        assert issuer is not None  # recommend_refusal: a 信访部门's staff
        today = clocks.today()
        clock = clocks.start(matter, "D12", today, body=to)
        article = RECOMMEND_ARTICLES[kind]
        label = Recommendation.Kind(kind).label
        doc = issue_document(matter, Document.Kind.RECOMMENDATION, issuer, {
            "kind": kind, "doc_title": f"{label}书", "to_body": to.name,
            "concerns_body": concerns.name if concerns else "", "problem": problem.strip(),
            "proposal": proposal.strip(), "feedback_due": clock.due_on.isoformat(),
            "basis": article,
        }, to_petitioner=False)
        r = Recommendation.objects.create(
            matter=matter, kind=kind, issuing_body=issuer, to_body=to, concerns_body=concerns,
            problem=problem.strip(), proposal=proposal.strip(), issued_by=user,
            issued_at=timezone.now(), document=doc, clock=clock, feedback_due=clock.due_on)
        _event(matter, name, acts.ACTS[name].label, matter.state, matter.state, user, "",
               note=f"{to.name}（{doc.number}）", public=False, data={"recommendation": r.pk})
        audit.record(name, actor=user, object_type="recommendation", object_id=r.pk,
                     matter_id=matter.pk,
                     data={"kind": kind, "to": to.pk, "concerns": concerns.pk if concerns else None,
                           "document": doc.pk, "feedback_due": clock.due_on.isoformat()})
        clocks.refresh_next_due(matter.pk)
    return r


def _body(value: int | Body, label: str) -> Body:
    if isinstance(value, Body):
        return value
    body = Body.objects.select_related("division").filter(pk=value).first()
    if body is None:
        raise GuardFailed(f"{label}不存在")
    return body


def recommendation_feedback(recommendation: Recommendation, *, user: User, adoption: str,
                            text: str) -> Recommendation:
    """The receiving body's written feedback on adoption (§40 ¶4); meets D12."""
    if adoption not in df.ADOPTIONS:
        raise GuardFailed("请选择采纳情况：采纳、部分采纳或不采纳")
    if not text.strip():
        raise MissingFields(["text"])
    with transaction.atomic():
        r = Recommendation.objects.select_for_update(of=("self",)).select_related("matter").get(
            pk=recommendation.pk)
        permissions.require(user, "recommendation_feedback", matter=r.matter)
        if r.to_body_id != user.body_id:
            raise Forbidden(acts.ACTS["recommendation_feedback"].refusal + "（§40 ¶4）")
        if r.feedback_at is not None:
            raise GuardFailed("已书面反馈采纳情况")
        today = clocks.today()
        r.adoption, r.feedback_text = adoption, text.strip()
        r.feedback_at, r.feedback_by = timezone.now(), user
        r.save(update_fields=["adoption", "feedback_text", "feedback_at", "feedback_by"])
        if r.clock_id is not None:
            Clock.objects.filter(pk=r.clock_id, met_on__isnull=True).update(met_on=today)
        late = r.feedback_due < today
        _event(r.matter, "recommendation_feedback", gettext_noop("建议采纳情况书面反馈"),
               r.matter.state, r.matter.state, user, "",
               note=f"{df.ADOPTIONS[adoption]}：{text.strip()[:180]}", public=False,
               data={"recommendation": r.pk, "adoption": adoption, "late": late})
        audit.record("recommendation_feedback", actor=user, object_type="recommendation",
                     object_id=r.pk, matter_id=r.matter_id,
                     data={"adoption": adoption, "late": late})
        clocks.refresh_next_due(r.matter_id)
    return r

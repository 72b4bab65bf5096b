"""重大、紧急 matters (§25 ¶1–2, §46 (4)): declare, record measures, mark reports sent, and
the sweep's flag on a report not sent in time.

A body that holds or handles a matter (its 信访干部, leaders or 单位负责人; ``domain.acts``
``declare_urgent``) declares it 重大紧急. The declaration makes, at once, one document
(procedure.md doc #19: the event, scale, risk, measures taken) per report it owes:

- every body (§25 ¶1): the report to 本级党委和政府, and the 通报 to the 相关主管部门 and
  the 本级信访工作联席会议办公室;
- a 信访部门 in addition (§25 ¶2): the report to the 信访部门 one level up, and at the same
  time to 国家信访局.

The recipients come from the org tree (a named recipient where the tree has none: 国家信访局,
a 联席会议办公室). Each report is due ``settings.XINFANG_URGENT_REPORT_HOURS`` after the
declaration (the 条例 says 及时 and gives no hours; default 2); the deadline sweep flags an
unsent report once that has passed (``flag_overdue``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from xinfang.audit import services as audit
from xinfang.core.i18n import source_text
from xinfang.domain import acts
from xinfang.domain import fields as df
from xinfang.domain.errors import Forbidden, GuardFailed, MissingFields
from xinfang.org.models import Body, Division, User

from .. import permissions
from ..models import Document, Matter, UrgentDeclaration, UrgentMeasure, UrgentReport
from .records import issue_document
from .records import record_event as _event

# The acts of this module, as both doors name them (domain.acts, domain.fields.ACT_FIELDS).
URGENT_ACTS = ("declare_urgent", "urgent_measure", "urgent_report_sent")
NATIONAL_BUREAU = "国家信访局"
Kind = UrgentReport.Kind
BASIS = {Kind.PARTY_GOV: "§25 ¶1", Kind.NOTICE: "§25 ¶1", Kind.UPPER: "§25 ¶2",
         Kind.NATIONAL: "§25 ¶2"}


def report_hours() -> float:
    """The local time limit for a §25 report, in hours (``XINFANG_URGENT_REPORT_HOURS``)."""
    return float(getattr(settings, "XINFANG_URGENT_REPORT_HOURS", 2))


def _cn_time(value: datetime) -> str:
    t = timezone.localtime(value)
    return f"{t.year}年{t.month}月{t.day}日{t:%H:%M}"


def _clean(name: str, value: str) -> str:
    """A required text field of the act, trimmed and within its limit (domain/fields.py)."""
    spec = df.FIELDS[name]
    value = (value or "").strip()
    if not value:
        raise MissingFields([name])
    if spec.max_length and len(value) > spec.max_length:
        raise GuardFailed(f"{spec.label}不能超过{spec.max_length}个字")
    return value


# --------------------------------------------------------------------------- recipients


def _named(body: Body | None, name: str = "") -> dict[str, Any]:
    return {"id": body.pk if body else None, "name": name or (body.name if body else "")}


def _competent(body: Body, matter: Matter, excluded: set[int]) -> list[dict[str, Any]]:
    """The 相关主管部门: the matter's 主办单位, else the bodies whose 主管事项类别 cover the
    matter's category, in the matter's division or above (nearest first)."""
    if matter.lead_body_id and matter.lead_body_id not in excluded | {body.pk}:
        return [_named(matter.lead_body)]
    if matter.category is None:
        return []
    cat_codes = matter.category.path_codes()
    div_codes = matter.division.path_codes()
    found = [b for b in Body.objects.filter(active=True, categories__code__in=cat_codes,
                                             division_id__in=div_codes)
             .select_related("division").distinct()
             if b.pk not in excluded | {body.pk}]
    found.sort(key=lambda b: (-b.division.level, b.name))
    return [_named(b) for b in found[:1]]


def recipients_for(body: Body, matter: Matter) -> list[tuple[str, list[dict[str, Any]]]]:
    """(kind, recipients) of every report ``body`` owes on ``matter`` (§25 ¶1–2). Never the
    accused unit of a 检举控告 (§30 ¶3)."""
    div: Division = body.division
    excluded = {matter.accused_body_id} if matter.accused_body_id else set()
    local = Body.objects.filter(division=div, active=True).exclude(pk__in=excluded)
    gov = [_named(b) for b in local.filter(kind=Body.Kind.PARTY_GOV).order_by("name")]
    if not gov:  # a township's 党委和政府, or a tree without them: named by the division
        gov = [_named(None, f"{div.name}党委和政府")]
    office = local.filter(kind=Body.Kind.XINFANG).order_by("pk").first()
    notice = [*_competent(body, matter, excluded),
              _named(office, f"{div.name}信访工作联席会议办公室")]
    out: list[tuple[str, list[dict[str, Any]]]] = [(Kind.PARTY_GOV, gov), (Kind.NOTICE, notice)]
    if body.is_xinfang:
        upper: list[dict[str, Any]] = []
        if div.parent_id:
            up = (Body.objects.filter(division_id=div.parent_id, kind=Body.Kind.XINFANG,
                                      active=True).order_by("pk").first())
            parent = div.parent
            assert parent is not None
            upper = [_named(up) if up else _named(None, f"{parent.name}信访部门")]
        else:
            upper = [_named(None, "上一级信访部门")]
        national = Body.objects.filter(name=NATIONAL_BUREAU).first()
        out += [(Kind.UPPER, upper), (Kind.NATIONAL, [_named(national, NATIONAL_BUREAU)])]
    return out


# --------------------------------------------------------------------------- acts


def _declaration_of(matter: Matter, user: User, act: str) -> UrgentDeclaration:
    permissions.require(user, act, matter=matter)
    if user.body_id is None:
        raise Forbidden(acts.ACTS[act].refusal)
    decl = (UrgentDeclaration.objects.select_related("body")
            .filter(matter=matter, body_id=user.body_id).first())
    if decl is None:
        raise GuardFailed("本机关、单位尚未认定该事项为重大紧急信访事项，请先认定（§25）")
    return decl


def declare_urgent(matter: Matter, *, user: User, event: str, scale: str, risk: str,
                   measures: str) -> UrgentDeclaration:
    """The user's body declares ``matter`` 重大、紧急 (§25): the declaration, the first
    measure, one document per report owed (each due in ``report_hours()``), the matter's
    flag, one event and one audit row."""
    values = {"event": _clean("event", event), "scale": _clean("scale", scale),
              "risk": _clean("risk", risk), "measures": _clean("measures", measures)}
    with transaction.atomic():
        permissions.require(user, "declare_urgent", matter=matter)
        body = user.body
        if body is None:
            raise Forbidden(acts.ACTS["declare_urgent"].refusal)
        matter = Matter.objects.select_for_update(of=("self",)).select_related(
            "category", "division", "lead_body").get(pk=matter.pk)
        if UrgentDeclaration.objects.filter(matter=matter, body=body).exists():
            raise GuardFailed("本机关、单位已认定该事项为重大紧急信访事项；"
                              "新的处置情况请登记为处置措施")
        now = timezone.now()
        due = now + timedelta(hours=report_hours())
        decl = UrgentDeclaration.objects.create(
            matter=matter, body=body, declared_by=user, declared_at=now,
            event=values["event"], scale=values["scale"], risk=values["risk"],
            is_xinfang=body.is_xinfang)
        UrgentMeasure.objects.create(declaration=decl, matter=matter, text=values["measures"],
                                     taken_at=now, recorded_by=user)
        reports = []
        for kind, recipients in recipients_for(body, matter):
            doc = issue_document(matter, Document.Kind.URGENT, body, {
                "report_kind": kind,
                "report_label": source_text(Kind(kind).label),
                "is_notice": kind == Kind.NOTICE,
                "to_body": "、".join(r["name"] for r in recipients),
                "recipients": recipients,
                "event": values["event"], "scale": values["scale"], "risk": values["risk"],
                "measures": [{"at": _cn_time(now), "text": values["measures"]}],
                "declared_at": _cn_time(now), "due_at": _cn_time(due),
                "basis": BASIS[Kind(kind)],
                # §30 ¶3: a report or a confidential matter leaves the chain without identity.
                "redact_identity": bool(matter.is_report or matter.confidential),
            }, to_petitioner=False)
            reports.append(UrgentReport.objects.create(
                declaration=decl, matter=matter, kind=kind, recipients=recipients,
                document=doc, made_at=doc.issued_at, due_at=due))
        Matter.objects.filter(pk=matter.pk).update(is_urgent=True)
        _event(matter, "declare_urgent", gettext_noop("认定重大紧急"), matter.state,
               matter.state, user, "", note=values["event"][:200], public=False,
               data={"reports": len(reports), "due_at": due.isoformat()})
        audit.record("declare_urgent", actor=user, object_type="urgent_declaration",
                     object_id=decl.pk, matter_id=matter.pk,
                     data={"body": body.pk, "reports": [r.pk for r in reports],
                           "due_at": due.isoformat(), "hours": report_hours()})
    return decl


def record_measure(matter: Matter, *, user: User, measures: str) -> UrgentMeasure:
    """A measure taken on an urgent matter, recorded as it happens (§25 ¶1): the row, one
    event and one audit row."""
    text = _clean("measures", measures)
    with transaction.atomic():
        decl = _declaration_of(matter, user, "urgent_measure")
        m = UrgentMeasure.objects.create(declaration=decl, matter=matter, text=text,
                                         taken_at=timezone.now(), recorded_by=user)
        _event(matter, "urgent_measure", gettext_noop("重大紧急处置措施"), matter.state,
               matter.state, user, "", note=text[:200], public=False)
        audit.record("urgent_measure", actor=user, object_type="urgent_measure", object_id=m.pk,
                     matter_id=matter.pk, data={"declaration": decl.pk})
    return m


def mark_report_sent(matter: Matter, *, user: User, report: int,
                     sent_via: str) -> UrgentReport:
    """The declaring body records that one report was sent, when and how: the report, its
    document's service record, one event and one audit row."""
    if not sent_via:
        raise MissingFields(["sent_via"])
    if sent_via not in df.REPORT_CHANNELS:
        raise GuardFailed("请选择有效的报送方式")
    with transaction.atomic():
        decl = _declaration_of(matter, user, "urgent_report_sent")
        r = (UrgentReport.objects.select_for_update().select_related("document")
             .filter(pk=report, declaration=decl).first())
        if r is None:
            raise GuardFailed("本机关、单位没有这份重大紧急信息报告")
        if r.sent_at is not None:
            raise GuardFailed(f"该报告已于{_cn_time(r.sent_at)}报送")
        now = timezone.now()
        r.sent_at, r.sent_by, r.sent_via = now, user, sent_via
        r.save(update_fields=["sent_at", "sent_by", "sent_via"])
        via = df.REPORT_CHANNELS[sent_via]
        doc = r.document
        doc.served_on, doc.service_method = timezone.localdate(now), via
        # The report as sent carries every measure taken up to the moment it is sent.
        doc.context = {**doc.context, "measures": [
            {"at": _cn_time(x.taken_at), "text": x.text} for x in decl.measures.all()]}
        doc.save(update_fields=["served_on", "service_method", "context"])
        late = now > r.due_at
        note = f"{source_text(r.get_kind_display())}：{r.recipient_names}（{via}）"
        if late:
            note += f"；超过报送时限（应于{_cn_time(r.due_at)}前报送）"
        _event(matter, "urgent_report_sent", gettext_noop("重大紧急信息已报送"), matter.state,
               matter.state, user, "", note=note, public=False,
               data={"report": r.pk, "kind": r.kind, "late": late})
        audit.record("urgent_report_sent", actor=user, object_type="urgent_report",
                     object_id=r.pk, matter_id=matter.pk,
                     data={"kind": r.kind, "via": sent_via, "late": late,
                           "to": [x["id"] or x["name"] for x in r.recipients]})
    return r


def flag_overdue(now: datetime | None = None) -> int:
    """The sweep's act: every report not sent by its due time is flagged once (§25 及时,
    §46 (4) 缓报), with a system event and an audit row. Idempotent."""
    now = now or timezone.now()
    n = 0
    late = (UrgentReport.objects.filter(sent_at__isnull=True, overdue_at__isnull=True,
                                        due_at__lt=now)
            .select_related("matter", "declaration__body").order_by("due_at", "pk"))
    for r in list(late):
        with transaction.atomic():
            if not UrgentReport.objects.filter(pk=r.pk, overdue_at__isnull=True,
                                               sent_at__isnull=True).update(overdue_at=now):
                continue  # flagged or sent meanwhile
            note = (f"{r.declaration.body.name}{source_text(r.get_kind_display())}"
                    f"（{r.recipient_names}）超过报送时限{_cn_time(r.due_at)}仍未报送（§25、§46（四））")
            _event(r.matter, "urgent_report_overdue", gettext_noop("重大紧急信息超时未报"),
                   r.matter.state, r.matter.state, None, "系统", note=note, public=False,
                   data={"report": r.pk, "kind": r.kind, "due_at": r.due_at.isoformat()})
            audit.record("urgent_report_overdue", actor_label="系统", object_type="urgent_report",
                         object_id=r.pk, matter_id=r.matter_id,
                         data={"kind": r.kind, "due_at": r.due_at.isoformat(),
                               "body": r.declaration.body_id})
        n += 1
    return n


def urgent_act(matter: Matter, name: str, *, user: User, data: dict[str, Any]) -> object:
    """One of ``URGENT_ACTS`` with the validated input of either door (domain/fields.py)."""
    def text(key: str) -> str:
        return str(data.get(key) or "")

    if name == "declare_urgent":
        return declare_urgent(matter, user=user, event=text("event"), scale=text("scale"),
                              risk=text("risk"), measures=text("measures"))
    if name == "urgent_measure":
        return record_measure(matter, user=user, measures=text("measures"))
    if name == "urgent_report_sent":
        if not data.get("report"):
            raise MissingFields(["report"])
        return mark_report_sent(matter, user=user, report=int(data["report"]),
                                sent_via=text("sent_via"))
    raise ValueError(f"not an urgent act: {name}")

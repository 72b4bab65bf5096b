"""重大紧急 (§25) read models for both doors: one matter's declarations, reports and measures
with what the user may do; the open urgent matters of the user's scope (the dashboard); the
reports not sent in time (the supervision page). Every query goes through the read gate."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext_noop

from xinfang.domain import states as st
from xinfang.org.models import User

from . import access, permissions
from .models import Matter, UrgentDeclaration, UrgentMeasure, UrgentReport

MAX_ROWS = 200


def report_status(r: UrgentReport, now: datetime | None = None) -> str:
    """sent | late (sent after its due time) | overdue (unsent, past due) | pending."""
    if r.sent_at is not None:
        return "late" if r.sent_at > r.due_at else "sent"
    return "overdue" if (now or timezone.now()) > r.due_at else "pending"


STATUS_LABELS = {"sent": gettext_noop("已报送"), "late": gettext_noop("已报送（超时）"),
                 "overdue": gettext_noop("超时未报"), "pending": gettext_noop("待报送")}


@dataclass
class MatterUrgent:
    """What one matter's 重大紧急 section shows and offers to ``user``."""

    declarations: list[UrgentDeclaration]
    own: UrgentDeclaration | None  # the user's body's declaration, if any
    may_declare: bool
    may_measure: bool
    may_send: bool
    unsent: list[UrgentReport] = field(default_factory=list)  # the own reports still to send

    @property
    def any(self) -> bool:
        return bool(self.declarations)


def _declarations(matter_ids: list[int]) -> list[UrgentDeclaration]:
    return list(UrgentDeclaration.objects.filter(matter_id__in=matter_ids)
                .select_related("body", "declared_by")
                .prefetch_related(
                    Prefetch("reports", UrgentReport.objects.select_related("document",
                                                                             "sent_by")),
                    Prefetch("measures", UrgentMeasure.objects.select_related("recorded_by")))
                .order_by("declared_at", "pk"))


def for_matter(user: User, matter: Matter) -> MatterUrgent:
    """The matter's declarations (the caller has opened the matter through the read gate)."""
    # A declaration sets ``is_urgent``: a matter without the flag has none (no query).
    decls = _declarations([matter.pk]) if matter.is_urgent else []
    own = next((d for d in decls if user.body_id is not None and d.body_id == user.body_id),
               None)
    may_declare = own is None and permissions.may(user, "declare_urgent", matter=matter)
    may_measure = own is not None and permissions.may(user, "urgent_measure", matter=matter)
    may_send = own is not None and permissions.may(user, "urgent_report_sent", matter=matter)
    unsent = [r for r in own.reports.all() if r.sent_at is None] if own and may_send else []
    return MatterUrgent(decls, own, may_declare, may_measure, may_send, unsent)


@dataclass
class UrgentRow:
    matter: Matter
    declarations: list[UrgentDeclaration]
    reports: int
    sent: int
    overdue: int

    @property
    def declared(self) -> bool:
        return bool(self.declarations)


def open_urgent(user: User) -> list[UrgentRow]:
    """Open matters of the user's scope flagged or declared 重大紧急, each with its report
    status; the ones with an overdue report first, then the undeclared, newest first."""
    open_states = [s.value for s in st.OPEN_STATES]
    matters = list(access.visible_matters(user).filter(state__in=open_states, is_urgent=True)
                   .select_related("holder", "lead_body").order_by("-received_at")[:MAX_ROWS])
    by_matter: dict[int, list[UrgentDeclaration]] = {}
    for d in _declarations([m.pk for m in matters]):
        by_matter.setdefault(d.matter_id, []).append(d)
    now = timezone.now()
    rows = []
    for m in matters:
        decls = by_matter.get(m.pk, [])
        reports = [r for d in decls for r in d.reports.all()]
        rows.append(UrgentRow(m, decls, len(reports), sum(r.sent_at is not None for r in reports),
                              sum(report_status(r, now) == "overdue" for r in reports)))
    rows.sort(key=lambda r: (-r.overdue, r.declared))
    return rows


def overdue_reports(user: User) -> list[UrgentReport]:
    """Reports not sent by their due time, on matters the user may open (§25, §46 (4))."""
    visible = access.visible_matters(user).values("pk")
    return list(UrgentReport.objects.filter(sent_at__isnull=True, due_at__lt=timezone.now(),
                                            matter_id__in=visible)
                .select_related("matter", "declaration__body", "document")
                .order_by("due_at", "pk")[:MAX_ROWS])

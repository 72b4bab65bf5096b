"""Read models of §40: what a body owes (督办 feedback, adoption feedback), what the
supervisors of a jurisdiction are waiting for, and the counts the §41 annual report needs.
Writes are ``services.oversight``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from xinfang.org.models import User

from . import access, clocks, permissions
from .models import Matter, Recommendation, Supervision


def _open_supervisions() -> QuerySet[Supervision]:
    return (Supervision.objects.filter(feedback_due__isnull=False, resolved_at__isnull=True)
            .select_related("matter", "body").order_by("feedback_due", "pk"))


def _recommendations() -> QuerySet[Recommendation]:
    return (Recommendation.objects.select_related("matter", "to_body", "issuing_body",
                                                  "concerns_body", "document")
            .order_by("feedback_due", "pk"))


@dataclass
class Owed:
    """What the user's body owes in writing: 督办 answers (§40 ¶1) and adoption feedback (¶4)."""

    supervisions: list[Supervision]
    recommendations: list[Recommendation]


def owed_by(user: User) -> Owed:
    if user.body_id is None:
        return Owed([], [])
    return Owed(
        list(_open_supervisions().filter(body_id=user.body_id, feedback_at__isnull=True)[:200]),
        list(_recommendations().filter(to_body_id=user.body_id, feedback_at__isnull=True)[:200]),
    )


@dataclass
class Watched:
    """For who may view 督查督办: open 督办 (answered or not) and recommendations of the
    jurisdiction, the overdue ones first by date."""

    supervisions: list[Supervision]
    recommendations: list[Recommendation]
    answered: list[Recommendation]


def watched_by(user: User) -> Watched:
    if not permissions.may(user, "view_supervision"):
        return Watched([], [], [])
    visible = access.visible_matters(user).values("pk")
    recs = _recommendations().filter(matter_id__in=visible)
    return Watched(
        list(_open_supervisions().filter(matter_id__in=visible, kind=Supervision.Kind.MANUAL)[:200]),
        list(recs.filter(feedback_at__isnull=True)[:200]),
        list(recs.filter(feedback_at__isnull=False).order_by("-feedback_at")[:50]),
    )


def for_matter(matter: Matter) -> tuple[list[Supervision], list[Recommendation]]:
    """The matter's 督办 with a feedback date and its recommendations, newest first."""
    sups = list(matter.supervisions.filter(feedback_due__isnull=False)
                .select_related("body").order_by("-pk"))
    return sups, recommendations_of(matter)


def recommendations_of(matter: Matter) -> list[Recommendation]:
    return list(_recommendations().filter(matter=matter).order_by("-pk"))


def overdue(due: date | None, answered: Any) -> bool:
    return due is not None and not answered and due < clocks.today()


def counts(start: date, end: date, *, user: User | None = None) -> dict[str, dict[str, int]]:
    """Recommendations issued in [start, end] by kind: issued, adopted, partly adopted, not
    adopted, awaiting feedback (the §41 annual report); within the user's jurisdiction."""
    tz = timezone.get_current_timezone()
    qs = Recommendation.objects.filter(
        issued_at__gte=datetime.combine(start, time.min, tz),
        issued_at__lte=datetime.combine(end, time.max, tz))
    if user is not None:
        qs = qs.filter(matter_id__in=access.visible_matters(user).values("pk"))
    A = Recommendation.Adoption
    rows = qs.values("kind").annotate(
        issued=Count("pk"),
        adopted=Count("pk", filter=Q(adoption=A.ADOPTED)),
        partial=Count("pk", filter=Q(adoption=A.PARTIAL)),
        rejected=Count("pk", filter=Q(adoption=A.REJECTED)),
        pending=Count("pk", filter=Q(feedback_at__isnull=True)),
    )
    out = {k: {"issued": 0, "adopted": 0, "partial": 0, "rejected": 0, "pending": 0}
           for k in Recommendation.Kind.values}
    for r in rows:
        out[r["kind"]] = {k: int(r[k]) for k in ("issued", "adopted", "partial", "rejected",
                                                  "pending")}
    return out

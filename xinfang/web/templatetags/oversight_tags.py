"""§40 on the matter page: ``{% oversight_section matter %}`` — the matter's 督办 with their
written feedback, its recommendations with the adoption feedback, and the acts
``permissions.may`` (and the service's own guard) allow the signed-in user."""

from __future__ import annotations

from typing import Any

from django import template

from xinfang.org.models import User
from xinfang.petitions import clocks, oversight, permissions, routing
from xinfang.petitions.models import Matter, Recommendation
from xinfang.petitions.services.oversight import RECOMMEND_ACTS

from ..forms_oversight import OversightForm

register = template.Library()


@register.inclusion_tag("web/_oversight.html", takes_context=True)
def oversight_section(context: Any, matter: Matter) -> dict[str, Any]:
    """The page is behind the read gate (Where.MATTER holds), so what to offer is the act's
    role (``permissions.may`` without the matter) and the service's guard; the matter page has
    loaded its supervisions already."""
    user = context["request"].user
    loaded = context.get("supervisions")
    sups = [s for s in (matter.supervisions.select_related("body") if loaded is None else loaded)
            if s.feedback_due is not None][::-1]
    # A recommendation writes its event with the row: no query for a matter that has none.
    events = context.get("events")
    recs = (oversight.recommendations_of(matter)
            if events is None or any(e.action in RECOMMEND_ACTS for e in events) else [])
    may_review = permissions.may(user, "review_supervision_feedback")
    sup_rows = []
    for s in sups:
        form = None
        if s.resolved_at is None and s.feedback_at is None and s.body_id == user.body_id:
            form = OversightForm("supervision_feedback", user=user, initial={"supervision": s.pk})
        elif s.resolved_at is None and s.feedback_at is not None and may_review:
            form = OversightForm("review_supervision_feedback", user=user,
                                 initial={"supervision": s.pk})
        sup_rows.append((s, form, oversight.overdue(s.feedback_due,
                                                    s.feedback_at or s.resolved_at)))
    rec_rows = [(r, OversightForm("recommendation_feedback", user=user,
                                  initial={"recommendation": r.pk})
                 if r.feedback_at is None and r.to_body_id == user.body_id else None,
                 oversight.overdue(r.feedback_due, r.feedback_at)) for r in recs]
    names = [n for n in RECOMMEND_ACTS if permissions.may(user, n)]
    recommend_forms = []
    if names and user.body is not None and user.body.is_xinfang:
        bodies = list(routing.active_bodies())  # one query for the three forms
        recommend_forms = [(n, OversightForm(n, user=user, bodies=bodies)) for n in names]
    return {"request": context["request"], "csrf_token": context.get("csrf_token"),
            "matter": matter, "sup_rows": sup_rows, "rec_rows": rec_rows,
            "recommend_forms": recommend_forms, "today": clocks.today()}

def watch_context(user: User) -> dict[str, Any]:
    """For who may view 督查督办: the open 督办 and recommendations of the jurisdiction (the
    review form where an answer awaits it) and this year's counts per kind (§41)."""
    if not permissions.may(user, "view_supervision"):
        return {"counts": None}
    watched = oversight.watched_by(user)
    today = clocks.today()
    may_review = permissions.may(user, "review_supervision_feedback")
    return {
        "today": today,
        "watched_sups": [(s, OversightForm("review_supervision_feedback", user=user,
                                           initial={"supervision": s.pk})
                          if may_review and s.feedback_at else None)
                         for s in watched.supervisions],
        "watched_recs": watched.recommendations,
        "answered_recs": watched.answered,
        "counts": oversight.counts(today.replace(month=1, day=1), today, user=user),
        "kinds": dict(Recommendation.Kind.choices),
    }


@register.inclusion_tag("web/_oversight_watch.html", takes_context=True)
def oversight_watch(context: Any) -> dict[str, Any]:
    """The supervision page's §40 panel."""
    return {"request": context["request"], "csrf_token": context.get("csrf_token"),
            **watch_context(context["request"].user)}

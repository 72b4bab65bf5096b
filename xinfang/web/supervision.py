"""督查督办 (issue 3, §40): every 临期/超期 matter of the user's jurisdiction, by unit.

The list starts from open clocks (partial indexes ``clock_open_due`` / ``clock_open_body_due``:
``met_on IS NULL AND due_on <= today + 3``) joined to the matters the user may see, so its cost
follows the number of near deadlines, not the size of the matter table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from xinfang.core.http import AuthedRequest
from xinfang.domain import states as st
from xinfang.domain.errors import DomainError
from xinfang.org.models import Body, User
from xinfang.petitions import access, clocks, permissions, services
from xinfang.petitions.models import Clock, Matter

NEAR_DAYS = 3  # 临期: within three days (ClockPolicy.warn_days default)
MAX_CLOCKS = 1000


@dataclass
class Row:
    matter: Matter
    clock: Clock
    overdue: bool
    days: int


@dataclass
class Group:
    body: Body | None
    rows: list[Row] = field(default_factory=list)

    @property
    def overdue(self) -> int:
        return sum(r.overdue for r in self.rows)

    @property
    def near(self) -> int:
        return len(self.rows) - self.overdue


def groups_for(user: User) -> list[Group]:
    """临期/超期 matters the user may see, one row per matter (its nearest open clock)."""
    today = clocks.today()
    open_states = [s.value for s in st.OPEN_STATES]
    visible = access.visible_matters(user).filter(state__in=open_states)
    qs = (Clock.objects.filter(met_on__isnull=True, due_on__lte=today + timedelta(days=NEAR_DAYS),
                               owed_by_petitioner=False, paused_since__isnull=True,
                               matter_id__in=visible.values("pk"))
          .select_related("matter", "matter__division", "matter__lead_body", "matter__holder",
                          "body")
          .order_by("due_on", "id"))
    rows = list(qs[:MAX_CLOCKS])
    acting = Body.objects.in_bulk({c.matter.queue_body for c in rows if c.matter.queue_body})
    seen: set[int] = set()
    by_body: dict[int | None, Group] = {}
    for c in rows:
        if c.matter_id in seen:
            continue
        seen.add(c.matter_id)
        # Attributed to the body that has to act now (Matter.queue_body), as the dashboard's
        # overdue bars and the search's "acting" filter (practice.indicators.overdue_by_unit).
        body = acting.get(c.matter.queue_body) if c.matter.queue_body else None
        g = by_body.setdefault(body.pk if body else None, Group(body))
        g.rows.append(Row(c.matter, c, c.due_on < today, (c.due_on - today).days))
    return sorted(by_body.values(),
                  key=lambda g: (-g.overdue, -len(g.rows), g.body.name if g.body else ""))


class BulkSuperviseForm(forms.Form):
    note = forms.CharField(label=_("督办意见"), max_length=500,
                           widget=forms.Textarea(attrs={"rows": 2}),
                           initial="请抓紧办理，按期办结并反馈办理情况（§40）")
    feedback_days = forms.IntegerField(label=_("反馈期限（天）"), min_value=1, max_value=90,
                                       initial=7)


def _require(user: User) -> None:
    if not permissions.may(user, "view_supervision"):
        raise PermissionDenied(gettext("只有督查、信访干部或领导可以查看督查督办"))


@login_required
def supervision(request: AuthedRequest) -> HttpResponse:
    _require(request.user)
    form = BulkSuperviseForm(request.POST or None)
    if request.method == "POST":
        ids = [int(x) for x in request.POST.getlist("matter") if x.isdigit()]
        if not ids:
            form.add_error(None, _("请勾选要督办的事项"))
        elif form.is_valid():
            done, failed = _bulk_supervise(request.user, ids, form.cleaned_data)
            if done:
                messages.success(request, gettext("已对 %(n)s 件事项发出督办单") % {"n": done})
            if failed:
                messages.warning(request, gettext("%(n)s 件未能督办：") % {"n": len(failed)}
                                 + "；".join(failed[:5]))
            return redirect("supervision")
    groups = groups_for(request.user)
    ctx: dict[str, Any] = {
        "nav": "supervision",
        "groups": groups,
        "form": form,
        "total": sum(len(g.rows) for g in groups),
        "overdue": sum(g.overdue for g in groups),
        "near_days": NEAR_DAYS,
        **_awaiting_follow_up(request.user),
    }
    return render(request, "web/supervision.html", ctx, status=400 if form.errors else 200)


FOLLOW_UP_ROWS = 50


def _awaiting_follow_up(user: User) -> dict[str, Any]:
    """Answered matters with no 回访 of the answer after ``XINFANG_FOLLOW_UP_DAYS`` days
    (issue 16 item 2), within what the user may see."""
    from django.conf import settings

    qs = services.awaiting_follow_up(access.visible_matters(user)).select_related("lead_body")
    return {"follow_up_rows": list(qs[:FOLLOW_UP_ROWS]), "follow_up_total": qs.count(),
            "follow_up_days": settings.XINFANG_FOLLOW_UP_DAYS}


def _bulk_supervise(user: User, ids: list[int], v: dict[str, Any]) -> tuple[int, list[str]]:
    done, failed = 0, []
    for m in access.visible_matters(user).filter(pk__in=ids).select_related(
            "lead_body", "holder").order_by("pk"):
        try:
            services.supervise(m, user=user, note=v["note"], feedback_days=v["feedback_days"])
        except DomainError as e:
            failed.append(f"{m.number} {e.message}")
        else:
            done += 1
    return done, failed

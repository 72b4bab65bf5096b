"""The pages offer an act exactly when the service would do it: for every practice act of
``domain/acts.py`` and every demo role, the form is on the page if and only if the service
call does not refuse (Forbidden). A service allowed to act may still refuse on the input
(GuardFailed, ValidationFailed): here every call is given input it rejects, or is undone."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
import time_machine
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.conftest import sh
from xinfang.domain import acts
from xinfang.domain.errors import DomainError, Forbidden
from xinfang.org.models import User
from xinfang.petitions import permissions
from xinfang.petitions.models import Matter
from xinfang.petitions.services import Registration
from xinfang.practice import services as svc
from xinfang.practice.models import (
    Case,
    DisputeEntry,
    MeetingDecision,
    PreRegistration,
    ReceptionSlot,
    RiskAssessment,
)
from xinfang.practice.seed import seed_practice

pytestmark = pytest.mark.django_db

TODAY = date(2026, 3, 10)
PRACTICE_ACTS = ["configure_practice", "schedule_reception", "triage", "record_visit",
                 "open_case", "list_case", "view_listed", "sign_off_case", "handover_cases",
                 "screen_disputes", "assess_risk", "link_assessment", "keep_meetings"]


class _Undo(Exception):
    """Raised inside the savepoint so that an allowed call leaves nothing behind."""


def refused(call: Callable[[], Any]) -> bool:
    try:
        with transaction.atomic():
            call()
            raise _Undo
    except Forbidden:
        return True
    except (_Undo, DomainError):
        return False


@dataclass
class World:
    county: Any
    held: ReceptionSlot
    prereg: PreRegistration
    case: Case  # open, not listed
    closing: Case  # proposed for 销号
    dispute: DisputeEntry  # open
    assessment: RiskAssessment
    decision: MeetingDecision
    matter: Matter


@dataclass
class Check:
    act: str
    url: Callable[[World], str] | None  # None: no page offers it; the model's answer stands
    marker: Callable[[World], str]
    call: Callable[[World, User], Any]


def _div(w: World, u: User) -> Any:
    return u.body.division if u.body else w.county.county


def _reg(w: World) -> Registration:
    return Registration(channel="visit", title="", request="", content="",
                        division=w.dispute.division, received_at=timezone.now(), petitioners=[])


CHECKS = [
    Check("configure_practice", None, lambda w: "",
          lambda w, u: svc.configure(w.county.county, user=u, no_such_setting=1)),
    Check("schedule_reception", lambda w: reverse("practice:schedule"),
          lambda w: f'action="{reverse("practice:schedule_propose")}"',
          lambda w, u: svc.propose_schedule(_div(w, u), TODAY, TODAY - timedelta(days=1),
                                            user=u)),
    Check("schedule_reception", lambda w: reverse("practice:schedule"),
          lambda w: f'action="{reverse("practice:slot_add")}"',
          lambda w, u: svc.add_slot(w.county.users["leader"], TODAY, user=u, kind="field")),
    Check("triage", lambda w: reverse("practice:preregs"),
          lambda w: reverse("practice:prereg_triage", args=[w.prereg.pk]),
          lambda w, u: svc.triage(w.prereg, user=u, decision="none")),
    Check("record_visit", lambda w: reverse("practice:slot", args=[w.held.pk]),
          lambda w: reverse("practice:visit_record", args=[w.held.pk]),
          lambda w, u: svc.record_visit(w.held, leader=u, talk="")),
    Check("open_case", lambda w: reverse("practice:cases"),
          lambda w: f'action="{reverse("practice:case_open")}"',
          lambda w, u: svc.open_case(w.matter, user=u, task="", leader=None, handler=None,
                                     due_on=None)),
    Check("list_case", lambda w: reverse("practice:case", args=[w.case.pk]),
          lambda w: reverse("practice:case_action", args=[w.case.pk, "list"]),
          lambda w, u: svc.list_for_supervision(w.case, user=u, note="")),
    Check("view_listed", lambda w: reverse("practice:listed"), lambda w: "<h1",
          lambda w, u: permissions.require(u, "view_listed")),  # a read: no service
    Check("sign_off_case", lambda w: reverse("practice:case", args=[w.closing.pk]),
          lambda w: reverse("practice:case_action", args=[w.closing.pk, "signoff"]),
          lambda w, u: svc.sign_off(w.closing, user=u, approve=False, note="")),
    Check("handover_cases", lambda w: reverse("practice:handover"),
          lambda w: f'action="{reverse("practice:handover_submit")}"',
          lambda w, u: svc.handover(u, u, user=u, reason="")),
    Check("screen_disputes", lambda w: reverse("practice:prevention"),
          lambda w: f'action="{reverse("practice:screening_add")}"',
          lambda w, u: svc.record_screening(_div(w, u), user=u, on=TODAY + timedelta(days=1))),
    Check("screen_disputes", lambda w: reverse("practice:dispute", args=[w.dispute.pk]),
          lambda w: reverse("practice:dispute_action", args=[w.dispute.pk, "follow"]),
          lambda w, u: svc.follow_up_dispute(w.dispute, user=u, note="")),
    Check("screen_disputes", lambda w: reverse("practice:dispute", args=[w.dispute.pk]),
          lambda w: reverse("practice:dispute_action", args=[w.dispute.pk, "convert"]),
          lambda w, u: svc.convert_dispute(w.dispute, user=u, holder=u.body,
                                           registration=_reg(w))),
    Check("assess_risk", lambda w: reverse("practice:assessments"),
          lambda w: f'action="{reverse("practice:assessment_add")}"',
          lambda w, u: svc.record_assessment(user=u, project="", division=_div(w, u),
                                             body=u.body, assessed_on=TODAY, risks="",
                                             grade="low", measures="", decision="")),
    Check("link_assessment", lambda w: reverse("practice:assessments"),
          lambda w: reverse("practice:assessment_link", args=[w.assessment.pk]),
          lambda w, u: svc.link_matter_to_assessment(w.assessment, w.matter, user=u)),
    Check("keep_meetings", lambda w: reverse("practice:meetings"),
          lambda w: f'action="{reverse("practice:meeting_add")}"',
          lambda w, u: svc.record_meeting(user=u, kind="none", division=_div(w, u),
                                          body=u.body, held_on=TODAY, title="")),
    # Not an act of the table but an object guard (the responsible unit, §8): the same rule.
    Check("", lambda w: reverse("practice:meetings"),
          lambda w: reverse("practice:decision_complete", args=[w.decision.pk]),
          lambda w, u: svc.complete_decision(w.decision, user=u, evidence="")),
]


@pytest.fixture
def world(county):
    with time_machine.travel(sh(2026, 3, 10), tick=False):
        seed_practice(county, TODAY)
        leader = county.users["leader"]
        closing = Case.objects.get(kind=Case.Kind.BACKLOG)
        Case.objects.filter(pk=closing.pk).update(status=Case.Status.CLOSING)
        closing.refresh_from_db()
        case = Case.objects.get(kind=Case.Kind.OWNERSHIP)
        yield World(
            county=county,
            held=ReceptionSlot.objects.filter(leader=leader, status=ReceptionSlot.Status.HELD)
            .order_by("-day").first(),
            prereg=PreRegistration.objects.filter(status=PreRegistration.Status.SUBMITTED)
            .first(),
            case=case, closing=closing,
            dispute=DisputeEntry.objects.filter(status=DisputeEntry.Status.OPEN).first(),
            assessment=RiskAssessment.objects.get(),
            decision=MeetingDecision.objects.filter(owner_body=county.dept("住建")).get(),
            matter=case.matter,
        )


def test_every_practice_act_is_declared():
    assert set(PRACTICE_ACTS) <= set(acts.ACTS)
    assert set(PRACTICE_ACTS) == {c.act for c in CHECKS if c.act}


def test_the_page_offers_an_act_exactly_when_the_service_allows_it(world):
    mismatches: list[str] = []
    answers: dict[int, set[bool]] = {i: set() for i in range(len(CHECKS))}
    pages: dict[tuple[str, str], tuple[int, str]] = {}
    with time_machine.travel(sh(2026, 3, 10), tick=False):
        for role, user in world.county.users.items():
            user = User.objects.select_related("body__division").get(pk=user.pk)
            client = Client()
            client.force_login(user)
            for i, check in enumerate(CHECKS):
                allowed = not refused(lambda: check.call(world, user))  # noqa: B023
                if check.url is None:
                    offered = permissions.may(user, check.act, path=world.county.county.path)
                else:
                    url = check.url(world)
                    if (role, url) not in pages:
                        r = client.get(url)
                        pages[role, url] = (r.status_code, r.content.decode())
                    status, html = pages[role, url]
                    offered = status == 200 and check.marker(world) in html
                answers[i].add(allowed)
                if offered != allowed:
                    mismatches.append(f"{check.act or 'complete_decision'} · {role}: page "
                                      f"{'offers' if offered else 'hides'}, service "
                                      f"{'allows' if allowed else 'refuses'}")
    assert not mismatches, "\n".join(mismatches)
    # Not vacuous: every act is allowed to some role and refused to another.
    for i, seen in answers.items():
        assert seen == {True, False}, CHECKS[i].act

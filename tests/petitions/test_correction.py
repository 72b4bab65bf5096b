"""更正登记信息 (issue 16 item 4): the registering body corrects a registration; each
correction is an event with old and new values (personal data masked) and a reason; the clocks
that rest on a changed field move; after a 转送 the receiving unit is told; both doors."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from tests.conftest import sh
from tests.scenario import ID_A, ID_B, matter
from xinfang.audit.models import AuditLog
from xinfang.domain.errors import Forbidden, GuardFailed
from xinfang.petitions import services
from xinfang.petitions.models import Clock, Event, Matter
from xinfang.petitions.services import Correction
from xinfang.petitions.services.correction import registration_corrected

# One county for the module, a deep copy per test (tests/conftest.py module_db).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("module_county")]


def token_client(user):
    from rest_framework.test import APIClient

    from xinfang.org.models import ApiToken

    client = APIClient()
    _, token = ApiToken.objects.create(user=user, name="test")
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def _correct(m, user, reason="登记时录入错误", **values):
    people = values.pop("people", {})
    return services.correct_registration(m, Correction(reason=reason, matter=values,
                                                       petitioners=people), user=user)


def test_received_date_correction_moves_the_registration_clock(county, frozen):
    m = matter(county, "registered", when=sh(2026, 3, 2))
    d1 = Clock.objects.get(matter=m, code="D1")
    assert d1.due_on == date(2026, 3, 17)  # §22: 15 日 from receipt
    registrar = county.users["registrar"]
    event = _correct(m, registrar, reason="来信收到日期录错", received_at=sh(2026, 2, 20))
    d1.refresh_from_db()
    assert (d1.started_on, d1.due_on) == (date(2026, 2, 20), date(2026, 3, 9))
    m.refresh_from_db()
    assert m.next_due == date(2026, 3, 9)
    assert event.action == "correct_registration" and event.actor == registrar
    assert event.data["reason"] == "来信收到日期录错"
    assert event.data["changes"] == [{"field": "received_at", "label": "收到时间",
                                      "old": "2026-03-02 10:00", "new": "2026-02-20 10:00"}]
    assert "2026-03-17 → 2026-03-09" in event.note and "来信收到日期录错" in event.note
    row = AuditLog.objects.get(action="correct_registration", matter_id=m.pk)
    assert row.data["fields"] == ["received_at"]


def test_petitioner_and_place_corrections_are_masked_and_reindexed(county, frozen, login):
    m = matter(county, "registered", when=sh(2026, 3, 2))
    p = m.petitioners.get()
    officer = county.users["officer"]
    event = _correct(m, officer, division=county.villages[1],
                     category=county.categories["LD01"],
                     people={p.pk: {"name": "王大鸣", "id_number": ID_B, "phone": "13912345678"}})
    by_field = {c["field"]: c for c in event.data["changes"]}
    assert by_field["division"]["new"] == county.villages[1].name
    assert by_field["category"]["new"] == county.categories["LD01"].name
    assert by_field["petitioner.name"]["old"] == by_field["petitioner.name"]["new"] == "王**"
    assert by_field["petitioner.phone"]["new"] == "139****5678"
    assert by_field["petitioner.id_number"]["old"].endswith(ID_A[-4:])
    # Nothing personal in clear on the timeline or in the audit row.
    row = AuditLog.objects.get(action="correct_registration", matter_id=m.pk)
    for secret in ("王大鸣", "王大明", "13912345678", "13800138000", ID_A, ID_B):
        assert secret not in event.note and secret not in repr(event.data)
        assert secret not in repr(row.data)
    m.refresh_from_db()
    assert m.division_path == county.villages[1].path
    # The clerk now finds the matter by the corrected name and phone, not the old ones.
    c = login(officer)
    found = c.get(reverse("search"), {"name": "王大鸣", "reason": "核对"}).content.decode()
    assert reverse("matter", args=[m.pk]) in found
    gone = c.get(reverse("search"), {"phone": "13800138000", "reason": "核对"}).content.decode()
    assert reverse("matter", args=[m.pk]) not in gone


def test_after_dispatch_the_receiving_unit_is_told(county, frozen):
    m = matter(county, "handling", when=sh(2026, 3, 2))
    handling = Clock.objects.get(matter=m, code="D6", met_on__isnull=True)
    told = []
    registration_corrected.connect(lambda **kw: told.append(kw), weak=False,
                                   dispatch_uid="test-told")
    try:
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr("django.db.transaction.on_commit", lambda fn, *a, **k: fn())
            event = _correct(m, county.users["officer"], reason="类别登记有误",
                             klass="suggestion")
    finally:
        registration_corrected.disconnect(dispatch_uid="test-told")
    zj = county.dept("住建")
    assert event.data["told"] == [zj.pk] and zj.name in event.note
    # No one at 住建 has an address here: the note says so rather than 已告知 (issue 16/15).
    assert "已告知" not in event.note and f"未能通知{zj.name}（无可用通知地址" in event.note
    assert told and told[0]["body_ids"] == [zj.pk] and told[0]["event_id"] == event.pk
    # §29: a suggestion's handling limit replaces the §34 one, from the same start.
    handling.refresh_from_db()
    assert handling.code == "D14" and handling.started_on == m.accepted_on
    assert event.data["clocks"] and "D14" not in event.note  # named, not coded
    m.refresh_from_db()
    assert m.klass == "suggestion" and m.route31 is None
    # The unit sees the correction on its timeline.
    assert Event.objects.filter(matter=m, action="correct_registration").count() == 1


def test_who_and_when(county, frozen):
    m = matter(county, "dispatched", when=sh(2026, 3, 2))
    with pytest.raises(Forbidden):  # the receiving unit did not register it
        _correct(m, county.users["handler"], headcount=3)
    with pytest.raises(services.ValidationFailed) as e:
        _correct(m, county.users["registrar"], reason=" ", headcount=3)
    assert "reason" in e.value.errors
    with pytest.raises(services.ValidationFailed):  # nothing changes
        _correct(m, county.users["registrar"], headcount=m.headcount)
    replied = matter(county, "replied", when=sh(2026, 3, 2))
    with pytest.raises(GuardFailed):
        _correct(replied, county.users["registrar"], headcount=3)
    # §30 ¶3: a report may not be made to rest with the unit it accuses.
    with pytest.raises(services.ValidationFailed) as e:
        _correct(m, county.users["registrar"], klass="report", accused_body=county.dept("住建"))
    assert "accused_body" in e.value.errors
    assert not Event.objects.filter(action="correct_registration").exists()


def test_both_doors(county, frozen, login):
    m = matter(county, "registered", when=sh(2026, 3, 2))
    p = m.petitioners.get()
    c = login(county.users["registrar"])
    page = c.get(reverse("matter", args=[m.pk])).content.decode()
    assert reverse("matter_correct", args=[m.pk]) in page
    form = c.get(reverse("matter_correct", args=[m.pk])).content.decode()
    assert "13800138000" not in form and "138****8000" in form  # masked placeholder only
    post = {"received_at": "2026-03-01T09:30", "klass": "appeal",
            "category": county.categories["CX01"].pk, "division": county.villages[0].code,
            "headcount": 2, "reason": "人数登记有误", f"p{p.pk}_phone": ""}
    r = c.post(reverse("matter_correct", args=[m.pk]), post)
    assert r.status_code == 302, r.content.decode()[:2000]
    m.refresh_from_db()
    assert m.headcount == 2 and Clock.objects.get(matter=m, code="D1").due_on == date(2026, 3, 16)
    timeline = c.get(reverse("matter", args=[m.pk])).content.decode()
    assert "更正登记信息" in timeline and "人数登记有误" in timeline
    # Without a reason: the form says so.
    r = c.post(reverse("matter_correct", args=[m.pk]), {**post, "headcount": 3, "reason": ""})
    assert r.status_code == 400
    # The API: the same service.
    api = token_client(county.users["registrar"])
    r = api.post(f"/api/v1/matters/{m.pk}/corrections",
                 {"reason": "电话录错", "petitioners": [{"id": p.pk, "phone": "13712345678"}]},
                 format="json")
    assert r.status_code == 201, r.content
    assert r.json()["changes"][0]["new"] == "137****5678"
    r = api.post(f"/api/v1/matters/{m.pk}/corrections", {"headcount": 4}, format="json")
    assert r.status_code == 400 and "reason" in r.json()
    # Another unit: refused at both doors.
    other = token_client(county.users["handler"])
    r = other.post(f"/api/v1/matters/{m.pk}/corrections", {"reason": "x", "headcount": 4},
                   format="json")
    assert r.status_code in (403, 404)
    assert Matter.objects.get(pk=m.pk).headcount == 2

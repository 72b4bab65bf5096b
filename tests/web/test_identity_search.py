"""综合查询 by identity (issue 16 item 3): number, query code, name, phone and ID number, exact
through the blind index, within the searcher's scope, each identity search audited with its
reason — at the page, the header's quick box and the API."""

from __future__ import annotations

import pytest
from django.db import connection
from django.urls import reverse

from tests.conftest import sh
from tests.petitions.helpers import ID_A, register
from xinfang.audit.models import AuditLog
from xinfang.petitions import services
from xinfang.petitions.models import Matter, Petitioner
from xinfang.petitions.services import PetitionerIn

# One county for the module, a deep copy per test (tests/conftest.py module_db).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("module_county")]


@pytest.fixture
def mine(county, frozen):
    """A matter of 王大明 (ID_A, 13800138000) forwarded to 住建, and one of someone else."""
    m = register(county, sh(2026, 2, 2), title="小区物业乱收停车费")
    services.transition(m, "forward", user=county.users["officer"],
                        data={"to_body": county.dept("住建").pk})
    other = register(county, sh(2026, 2, 3), title="路灯不亮", id_number="", phone="13900000009",
                     petitioners=[PetitionerIn(name="李小红", phone="13900000009")])
    return m, other


def token_client(user):
    from rest_framework.test import APIClient

    from xinfang.org.models import ApiToken

    client = APIClient()
    _, token = ApiToken.objects.create(user=user, name="test")
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def _numbers(r) -> set[str]:
    page = r.content.decode()
    return {m.number for m in Matter.objects.all() if m.number in page}


def _found(r, m) -> bool:
    """The results list links to ``m`` (its number may echo in the search box)."""
    return f'href="{reverse("matter", args=[m.pk])}"' in r.content.decode()


def _identity_audits():
    return list(AuditLog.objects.filter(action="identity_search").order_by("id"))


def test_clerk_finds_a_matter_by_number_code_name_phone_and_id(login, county, mine):
    m, _ = mine
    c = login(county.users["handler"])  # 住建, the unit the matter was forwarded to
    url = reverse("search")
    assert _numbers(c.get(url, {"q": m.number})) == {m.number}
    assert _numbers(c.get(url, {"q": m.query_code.lower()})) == {m.number}  # read out
    why = "来电查询办理进度"
    for field, value in [("name", "王大明"), ("name", " 王 大明 "), ("phone", "138 0013 8000"),
                         ("phone", "１３８００１３８０００"), ("id_number", ID_A.lower())]:
        r = c.get(url, {field: value, "reason": why})
        assert r.status_code == 200, (field, value)
        assert _numbers(r) == {m.number}, (field, value)
    # Exact, not a substring: part of a name or a phone finds nothing.
    assert _numbers(c.get(url, {"name": "王大", "reason": why})) == set()
    rows = _identity_audits()
    assert len(rows) == 6
    assert rows[0].actor == county.users["handler"]
    assert rows[0].data["reason"] == why and rows[0].data["kinds"] == ["name"]
    assert rows[0].data["matters"] == [m.pk] and rows[-1].data["hits"] == 0
    # No personal data in the audit trail: kinds, reason and matter ids only.
    dump = repr([r.data for r in rows])
    for secret in ("王大明", "13800138000", ID_A, ID_A[-6:]):
        assert secret not in dump
    # The value is stored encrypted; the search used the blind index.
    p = Petitioner.objects.get(matter=m)
    with connection.cursor() as cur:
        cur.execute(f"SELECT name FROM {Petitioner._meta.db_table} WHERE id = %s", [p.pk])
        stored = cur.fetchone()[0]
    assert p.name_index and "王大明" not in stored


def test_an_identity_search_needs_a_reason(login, county, mine):
    m, _ = mine
    c = login(county.users["officer"])
    r = c.get(reverse("search"), {"phone": "13800138000"})
    assert r.status_code == 400
    assert "查询事由" in r.content.decode()
    assert not _found(r, m)
    assert _identity_audits() == []


def test_another_unit_finds_nothing_and_is_audited(login, county, mine):
    m, _ = mine
    c = login(county.users["other_handler"])  # 人社: not in the matter's chain
    url = reverse("search")
    why = "核实身份"
    for params in ({"q": m.number}, {"q": m.query_code}, {"name": "王大明", "reason": why},
                   {"phone": "13800138000", "reason": why}, {"id_number": ID_A, "reason": why}):
        r = c.get(url, params)
        assert r.status_code == 200
        assert not _found(r, m), params
    rows = _identity_audits()
    assert [r.data["kinds"] for r in rows] == [["name"], ["phone"], ["id_number"]]
    assert all(r.actor == county.users["other_handler"] and r.data["hits"] == 0
               and r.data["reason"] == why for r in rows)
    # The API: the same search, the same answer and one more audit row.
    api = token_client(county.users["other_handler"])
    r = api.get("/api/v1/search", {"name": "王大明", "reason": why})
    assert r.status_code == 200 and r.json()["results"] == []
    assert len(_identity_audits()) == 4


def test_the_api_finds_by_identity_with_a_reason(county, mine):
    m, other = mine
    api = token_client(county.users["officer"])
    r = api.get("/api/v1/search", {"name": "王大明"})
    assert r.status_code == 400 and "查询事由" in r.json()["detail"]
    for params in ({"name": "王大明"}, {"phone": "13800138000"}, {"id_number": ID_A}):
        r = api.get("/api/v1/search", {**params, "reason": "群众来电"})
        assert r.status_code == 200, r.content
        assert [x["number"] for x in r.json()["results"]] == [m.number]
    assert [x["number"] for x in api.get("/api/v1/search", {"q": other.query_code})
            .json()["results"]] == [other.number]
    assert len(_identity_audits()) == 3


def test_a_hidden_reporter_is_not_found_by_name_outside_the_chain(login, county, frozen):
    """§30 ¶3: the county leader may open a 检举控告 but not see its reporter; finding it by
    the reporter's name would tell who reported it."""
    rep = register(county, sh(2026, 2, 2), title="举报某科长收受好处费", klass="report",
                   accused_body=county.dept("人社"), accused_name="某科长",
                   petitioners=[PetitionerIn(name="赵举报", phone="13600000006")],
                   phone="13600000006")
    why = "核查"
    leader = login(county.users["leader"])
    assert _found(leader.get(reverse("search"), {"q": rep.number}), rep)
    assert not _found(leader.get(reverse("search"), {"name": "赵举报", "reason": why}), rep)
    officer = login(county.users["officer"])  # the registering 信访部门: in the chain
    assert _found(officer.get(reverse("search"), {"name": "赵举报", "reason": why}), rep)


def test_the_header_box_opens_a_matter_by_number_or_code(login, county, mine):
    m, _ = mine
    c = login(county.users["officer"])
    page = c.get(reverse("queue")).content.decode()
    assert 'name="quick"' in page and 'role="search"' in page
    for term in (m.number, m.query_code.lower(), f" {m.number} "):
        r = c.get(reverse("search"), {"q": term, "quick": "1"})
        assert r.status_code == 302 and r.url == reverse("matter", args=[m.pk]), term
    # Anything else is an ordinary search; another unit's matter is not opened.
    r = c.get(reverse("search"), {"q": "物业", "quick": "1"})
    assert r.status_code == 200 and _found(r, m)
    other = login(county.users["other_handler"])
    r = other.get(reverse("search"), {"q": m.number, "quick": "1"})
    assert r.status_code == 200 and not _found(r, m)

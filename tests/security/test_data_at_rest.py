"""Issue 14 item 13, the database: a confidential matter's free text (title, 诉求, 事实与理由,
its events' notes and data, its documents' snapshots) is encrypted at rest, stays out of the
keyword search and the text models (found by number, query code or exact identity only), and
no audit row carries personal data."""

from __future__ import annotations

import pytest
from django.db import connection
from django.urls import reverse
from rest_framework.test import APIClient

from tests.conftest import sh
from tests.scenario import ID_A, register
from xinfang.audit.models import AuditLog
from xinfang.petitions import services
from xinfang.petitions.models import Document, Event, Matter

# One county for the module, a deep copy per test (tests/conftest.py module_db).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("module_county")]

SECRET_WORDS = ("王大明", "13800138000", "红包")


@pytest.fixture
def report(county, frozen) -> Matter:
    m = register(county, sh(2026, 3, 2), klass="report", accused_name="某所长",
                 title="王大明举报某所长收受红包", request="请求查处收受红包问题",
                 content="我是王大明，电话13800138000。某所长在办证时收受红包。")
    return services.transition(m, "refer_discipline", user=county.users["officer"],
                               data={"to_body": county.discipline.pk})


def _raw(sql: str, *params: object) -> str:
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return repr(cur.fetchall())


def test_a_confidential_matters_free_text_is_encrypted_at_rest(report, county):
    rows = {
        "matter": _raw("SELECT title, request, content FROM petitions_matter WHERE id = %s",
                       report.pk),
        "events": _raw("SELECT note, data FROM petitions_event WHERE matter_id = %s", report.pk),
        "documents": _raw("SELECT context FROM petitions_document WHERE matter_id = %s",
                          report.pk),
    }
    for table, text in rows.items():
        assert not [w for w in SECRET_WORDS if w in text], table
        assert "xf1:" in text or "__xf1__" in text, table
    # Read through the application, it is the text that was typed.
    m = Matter.objects.get(pk=report.pk)
    assert m.content.startswith("我是王大明") and "红包" in m.title
    assert Document.objects.filter(matter=m, kind="forward").get().context["title"] == m.title
    assert Event.objects.filter(matter=m).exclude(data={}).exists()
    # An ordinary appeal stays plain (searchable, readable by the text models).
    plain = register(county, sh(2026, 3, 2))
    assert "物业" in _raw("SELECT title FROM petitions_matter WHERE id = %s", plain.pk)


def test_a_confidential_matter_is_found_by_number_code_or_identity_only(report, county, login):
    c = login("officer")  # in the chain: it may open the matter
    url = reverse("matter", args=[report.pk])
    assert c.get(url).status_code == 200
    for q in ("红包", "某所长"):  # its words find nothing
        assert url not in c.get(reverse("search"), {"q": q}).content.decode()
    assert url in c.get(reverse("search"), {"q": report.number}).content.decode()
    api = APIClient()
    api.force_authenticate(county.users["officer"])
    assert api.get("/api/v1/search", {"q": "红包"}).json()["count"] == 0
    found = api.get("/api/v1/matters", {"phone": "13800138000", "reason": "核对信访人"}).json()
    assert [r["id"] for r in found["results"]] == [report.pk]


def test_a_confidential_matter_stays_out_of_the_text_models(report, county):
    from xinfang.petitions import intel

    ordinary = register(county, sh(2026, 3, 2), title="小区物业乱收红包费",
                        content="物业公司收取红包费用，业主不满。")
    texts, _labels, _ = intel.training_rows()
    assert texts and not any("王大明" in t or "办证" in t for t in texts)
    ix = intel.similarity_index()  # held for the same petitioner's repeats only (identity)
    assert ix.is_sealed(str(report.pk)) and not ix.is_sealed(str(ordinary.pk))
    hits = intel.same_matter_candidates(report.title, report.content, report.division, None)
    assert report.pk not in [c.matter.pk for c in hits]


def test_audit_rows_carry_no_personal_data(report, county, login):
    c = login("officer")
    assert c.get(reverse("search_export"), {"q": "王大明 13800138000"}).status_code == 200
    export = AuditLog.objects.filter(action="export").get()
    assert "王大明" not in repr(export.data) and "13800138000" not in repr(export.data)
    m = register(county, sh(2026, 3, 2), klass="report", accused_name="某所长",
                 content="举报人王小二，电话13700137000，身份证" + ID_A)
    services.transition(m, "not_accept", user=county.users["officer"], data={
        "reason_code": "N4", "reason": f"王大明（电话13700137000，身份证{ID_A}）已撤回"})
    rows = repr(list(AuditLog.objects.filter(matter_id=m.pk).values_list("data", flat=True)))
    assert "13700137000" not in rows and ID_A not in rows and "王大明" not in rows


def test_existing_rows_are_sealed_by_the_migration(report, county):
    """Rows written before sealing (plain text) are encrypted by migration 0017."""
    import importlib

    from django.apps import apps

    Matter.objects.filter(pk=report.pk).update(content="我是王大明，电话13800138000。")
    assert "王大明" in _raw("SELECT content FROM petitions_matter WHERE id = %s", report.pk)
    migration = importlib.import_module("xinfang.petitions.migrations.0017_sealed_free_text")
    migration.seal_confidential(apps, None)
    assert "王大明" not in _raw("SELECT content FROM petitions_matter WHERE id = %s", report.pk)
    assert Matter.objects.get(pk=report.pk).content == "我是王大明，电话13800138000。"


def test_sealed_text_is_rotated_with_the_field_key(report, county, settings):
    """``xinfang rotate-field-key`` re-encrypts the sealed free text too (issue 15's rotation
    walks the registry, which lists the sealable fields)."""
    import secrets

    from xinfang.ops import keyrotation

    old_key = settings.FIELD_KEY
    settings.FIELD_KEY, settings.FIELD_KEYS_OLD = secrets.token_urlsafe(48), [old_key]
    keyrotation.rotate(batch=3)
    assert all(r.finished for r in keyrotation.verify())
    settings.FIELD_KEYS_OLD = []  # the old key retired: still readable
    m = Matter.objects.get(pk=report.pk)
    assert m.content.startswith("我是王大明") and "红包" in m.title
    assert Document.objects.get(matter=m, kind="forward").context["title"] == m.title
    assert "（无法解密）" not in repr(list(Event.objects.filter(matter=m)
                                             .values_list("note", "data")))

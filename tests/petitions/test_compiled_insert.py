"""Rows written through ``core.fastinsert.CompiledInsert`` (issue 19 item 1) are the rows the
ORM would write: encrypted fields, blind indexes, defaults, expressions and signals."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.models.functions import Now
from django.db.models.sql.compiler import SQLInsertCompiler
from django.test.utils import CaptureQueriesContext

from tests.conftest import sh
from tests.scenario import register
from xinfang.core import fastinsert
from xinfang.notify.models import Delivery
from xinfang.petitions import services
from xinfang.petitions.models import Event, Matter, Petitioner

pytestmark = pytest.mark.django_db


def test_a_registration_reads_back_whole_and_its_petitioner_is_found_by_id_number(county):
    m = register(county, sh(2026, 3, 2, 9))
    again = register(county, sh(2026, 3, 3, 9), title="同一人另一事项：道路积水")
    m2 = Matter.objects.get(pk=m.pk)
    assert (m2.number, m2.title, m2.holder_id, m2.received_at) == (
        m.number, m.title, county.xinfang.pk, sh(2026, 3, 2, 9))
    p = Petitioner.objects.get(matter=m)
    assert p.name == "王大明" and p.phone == "13800138000"  # decrypted from the stored text
    with connection.cursor() as cur:
        cur.execute("SELECT phone FROM petitions_petitioner WHERE id = %s", [p.pk])
        assert "13800138000" not in str(cur.fetchone()[0])  # encrypted at rest
    # The blind index written with it finds the person's earlier matter.
    found = services.find_repeats([services.PetitionerIn(name="王大明", id_number=p.id_number)],
                                  exclude_id=again.pk)
    assert [x.pk for x in found] == [m.pk]
    # The event's post_save signal ran: the receipt's SMS is queued.
    assert Delivery.objects.filter(matter=m, kind="registered", channel="sms").exists()


def test_the_statement_is_compiled_once_and_an_expression_goes_the_orms_way(county,
                                                                            monkeypatch):
    register(county, sh(2026, 3, 2, 9))
    assert any(k[0] is Event for k in fastinsert._SQL), "the event's INSERT was kept"
    compiled: list[str] = []
    real = SQLInsertCompiler.as_sql

    def counting(self, *a, **k):
        compiled.append(self.query.model.__name__)
        return real(self, *a, **k)

    monkeypatch.setattr(SQLInsertCompiler, "as_sql", counting)
    m = register(county, sh(2026, 3, 3, 9), title="第二件：道路积水")
    for model in ("Matter", "Petitioner", "Clock", "Document", "Event", "Delivery", "AuditLog"):
        assert model not in compiled, model
    with CaptureQueriesContext(connection) as q:
        e = Event.objects.create(matter=m, action="note", label="备注", at=Now())
    assert "Event" in compiled  # Now() is compiled by the ORM
    e.refresh_from_db()
    assert e.at is not None and e.pk
    assert any("INSERT" in x["sql"] for x in q.captured_queries)

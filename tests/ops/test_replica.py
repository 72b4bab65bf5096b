"""The streaming replica (issue 15 item 6): a write on the primary is read on the replica after
replication; the router sends the read-only pages' reads to the replica and everything else —
writes, other pages, transactions, the person who just wrote — to the primary.

Needs two PostgreSQL clusters, a primary and a hot standby streaming from it: `make
test-replica` starts them (deploy/pg-replica.sh) and runs this file with DATABASE_URL and
XINFANG_REPLICA_URL set. Skipped otherwise.
"""

from __future__ import annotations

import re
import time
from contextlib import contextmanager

import pytest
from django.conf import settings
from django.db import connections, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.conftest import sh
from tests.scenario import register
from tests.web.test_staff import _reg_post
from xinfang.audit.models import AuditLog
from xinfang.core import dbrouter
from xinfang.org.models import User
from xinfang.petitions.models import Matter

pytestmark = [
    pytest.mark.skipif("replica" not in settings.DATABASES,
                       reason="needs XINFANG_REPLICA_URL (make test-replica)"),
    pytest.mark.django_db(transaction=True, databases=["default", "replica"]),
]


def _on_replica(query, deadline: float = 10.0):
    """Poll the replica until ``query()`` is truthy: replication is asynchronous."""
    end = time.monotonic() + deadline
    while True:
        value = query()
        if value or time.monotonic() > end:
            return value
        time.sleep(0.05)


def test_the_replica_is_a_standby_streaming_from_the_primary():
    """Seen from both ends: the standby's WAL receiver streams from this primary through the
    slot, the primary's sender to that slot streams, and WAL written now is replayed there."""
    with connections["replica"].cursor() as cur:
        cur.execute("SELECT pg_is_in_recovery()")
        assert cur.fetchone()[0] is True
        cur.execute("SELECT status, sender_port, slot_name FROM pg_stat_wal_receiver")
        status, sender_port, slot = cur.fetchone()
    assert status == "streaming"
    assert sender_port == int(connections["default"].settings_dict["PORT"])
    with connections["default"].cursor() as cur:
        cur.execute("SELECT r.state FROM pg_stat_replication r JOIN pg_replication_slots s"
                    " ON s.active_pid = r.pid WHERE s.slot_name = %s", [slot])
        assert [row[0] for row in cur.fetchall()] == ["streaming"]
        cur.execute("CREATE TABLE replica_probe (x int); DROP TABLE replica_probe")
        cur.execute("SELECT pg_current_wal_lsn()::text")
        lsn = cur.fetchone()[0]

    def replayed() -> bool:
        with connections["replica"].cursor() as cur:
            cur.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [lsn])
            return bool(cur.fetchone()[0])

    assert _on_replica(replayed), "the standby never replayed the primary's WAL"
    assert dbrouter.lag.usable()
    from django.test import Client

    assert Client().get("/healthz").json()["checks"]["replica"]["ok"] is True


def test_a_write_on_the_primary_is_read_on_the_replica_and_the_router_chooses(county):
    m = register(county, sh(2026, 3, 1))
    assert m._state.db == "default"
    seen = _on_replica(lambda: Matter.objects.using("replica").filter(pk=m.pk).exists())
    assert seen, "the matter never reached the replica"

    # Outside a read-only page everything is the primary's.
    assert Matter.objects.all().db == "default"
    with dbrouter.replica_reads():
        assert Matter.objects.all().db == "replica"
        assert Matter.objects.get(pk=m.pk).title == m.title  # read on the standby
        assert AuditLog.objects.all().db == "default"  # not a replicated-read app
        assert User.objects.all().db == "default"  # users, roles, bodies: the primary's
        assert Matter.objects.select_for_update().db == "default"  # a locking read writes
        with transaction.atomic():  # a transaction reads its own writes on the primary
            assert Matter.objects.all().db == "default"
    with pytest.raises(Exception, match="read-only"), \
            transaction.atomic(using="replica"):
        Matter.objects.using("replica").filter(pk=m.pk).update(title="x")


def test_search_reads_the_replica_except_right_after_the_person_wrote(county, client):
    register(county, sh(2026, 3, 1))
    client.force_login(county.users["registrar"])
    url = reverse("search") + "?q=停车费"
    _on_replica(lambda: Matter.objects.using("replica").exists())

    with CaptureQueriesContext(connections["replica"]) as on_replica:
        page = client.get(url)
    assert page.status_code == 200
    assert any("petitions_matter" in q["sql"] for q in on_replica.captured_queries)

    # The registrar registers a matter: the response pins them to the primary, and their
    # next search shows it at once, read from the primary (the replica is not asked).
    r = client.post(reverse("register"), _reg_post(county, title="新登记的物业停车费事项"))
    assert r.status_code == 302
    assert dbrouter.PIN_COOKIE in r.cookies
    with CaptureQueriesContext(connections["replica"]) as on_replica:
        page = client.get(reverse("search") + "?q=新登记的物业停车费事项")
    assert "新登记的物业停车费事项" in page.content.decode()
    assert not on_replica.captured_queries

    # Other pages never read the replica, pinned or not.
    client.cookies.pop(dbrouter.PIN_COOKIE)
    with CaptureQueriesContext(connections["replica"]) as on_replica:
        assert client.get(reverse("queue")).status_code == 200
    assert not on_replica.captured_queries


def test_an_unreachable_replica_falls_back_to_the_primary(county, client, monkeypatch):
    register(county, sh(2026, 3, 1))
    monkeypatch.setattr(dbrouter, "lag", dbrouter._Lag())
    monkeypatch.setitem(connections["replica"].settings_dict, "PORT", 1)  # nothing listens
    connections["replica"].close()
    client.force_login(county.users["registrar"])
    page = client.get(reverse("search") + "?q=停车费")
    assert page.status_code == 200 and "小区物业乱收停车费" in page.content.decode()


@contextmanager
def _replay_paused():
    """The standby keeps receiving WAL but applies none of it: a replica lagging behind."""
    with connections["replica"].cursor() as cur:
        cur.execute("SELECT pg_wal_replay_pause()")
    try:
        yield
    finally:
        with connections["replica"].cursor() as cur:
            cur.execute("SELECT pg_wal_replay_resume()")


def test_a_moved_account_has_its_new_scope_at_once_while_the_replica_lags(
        county, client, monkeypatch):
    """Users, roles and bodies are read on the primary even on a replica page: a registrar
    moved to another unit stops finding the 信访局's matters at once, though the lagging
    standby still has them in the old unit and the search itself reads the standby."""
    m = register(county, sh(2026, 3, 1))
    user = county.users["registrar"]
    client.force_login(user)
    url = reverse("search") + "?q=停车费"
    assert _on_replica(lambda: Matter.objects.using("replica").filter(pk=m.pk).exists())
    assert m.title in client.get(url).content.decode()

    monkeypatch.setattr(dbrouter, "lag", dbrouter._Lag())  # probed afresh below
    with _replay_paused():
        User.objects.filter(pk=user.pk).update(body=county.dept("住建"), role="handler")
        time.sleep(0.5)  # the update reaches the standby, which does not apply it
        assert User.objects.using("replica").get(pk=user.pk).body_id == county.xinfang.pk
        with CaptureQueriesContext(connections["replica"]) as on_replica:
            page = client.get(url)
        assert page.status_code == 200
        # The lagging standby answered the search (matters, and the names of their units
        # joined to them), but no query about who asks: their user row and unit.
        sqls = [q["sql"] for q in on_replica.captured_queries]
        assert any("petitions_matter" in sql for sql in sqls)
        read_there = {hit.group(1) for sql in sqls if (hit := re.search(r'FROM "(\w+)"', sql))}
        assert not read_there & {"org_user", "org_body", "org_division"}, read_there
        assert m.title not in page.content.decode()

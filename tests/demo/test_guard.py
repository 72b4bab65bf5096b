"""The demo is development code: production leaves it out, and it never empties real data."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from tests.petitions.helpers import register
from xinfang.demo.models import DemoMarker
from xinfang.demo.seed import SeedResult
from xinfang.org.models import User
from xinfang.petitions.models import Matter

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def _commands(tmp_path: Path, env_name: str) -> str:
    env = {**os.environ, "XINFANG_ENV": env_name, "XINFANG_VAR_DIR": str(tmp_path),
           "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}",
           # production refuses to start without its keys (tests/ops/test_production_settings)
           **{f"XINFANG_{k}_KEY": secrets.token_urlsafe(48) for k in ("SECRET", "FIELD", "AUDIT")}}
    done = subprocess.run([sys.executable, "-m", "xinfang.cli", "help", "--commands"], env=env,
                          cwd=ROOT, capture_output=True, text=True, check=True)
    return done.stdout


def test_production_mode_has_no_demo_commands(tmp_path):
    dev = set(_commands(tmp_path, "development").split())
    prod = set(_commands(tmp_path, "production").split())
    demo_commands = {"seed", "demo", "bench", "screenshots"}
    assert demo_commands <= dev
    assert demo_commands & prod == set()
    assert {"migrate", "sweep", "runserver"} <= prod


def test_seed_fresh_refuses_a_database_with_real_data_and_leaves_it_intact(county):
    m = register(county, timezone.now())
    with pytest.raises(CommandError) as e:
        call_command("seed", "--fresh", "--matters", "5")
    assert "拒绝清空" in str(e.value) and "refusing to flush" in str(e.value)
    assert e.value.returncode != 0
    assert list(Matter.objects.values_list("pk", flat=True)) == [m.pk]
    assert User.objects.filter(username="dengji").exists() and not DemoMarker.objects.exists()
    # Nor does `seed` without --fresh write the demo county into it.
    with pytest.raises(CommandError, match="没有演示标记"):
        call_command("seed", "--matters", "5")
    assert Matter.objects.count() == 1 and not DemoMarker.objects.exists()


@pytest.mark.django_db(transaction=True)  # flush is a TRUNCATE: outside a test transaction
def test_seed_fresh_flushes_only_the_demos_own_database(county):
    register(county, timezone.now())
    DemoMarker.objects.create(note="test")
    with mock.patch("xinfang.demo.management.commands.seed.seed",
                    return_value=SeedResult()) as seed:
        with pytest.raises(CommandError, match="--fresh"):
            call_command("seed", "--matters", "5")
        assert Matter.objects.count() == 1
        call_command("seed", "--fresh", "--matters", "5")
    assert Matter.objects.count() == 0 and User.objects.count() == 0  # flushed, then seeded
    seed.assert_called_once()


def test_demo_on_an_empty_database_seeds_marks_it_and_names_the_published_superuser(capsys):
    from xinfang.demo.county import DEMO_PASSWORD
    from xinfang.demo.management.commands.demo import Command

    with mock.patch("xinfang.demo.seed.Seeder") as seeder, \
            mock.patch("xinfang.practice.seed.seed_practice", return_value={}), \
            mock.patch("xinfang.petitions.intel.train_from_db"), \
            mock.patch.object(Command, "serve") as serve:
        seeder.return_value.run.return_value = SeedResult()
        call_command("demo", "--matters", "0")
    out = capsys.readouterr().out
    assert "已创建演示超级用户 admin" in out and DEMO_PASSWORD in out
    assert "demo superuser" in out
    assert User.objects.get(username="admin").is_superuser
    assert DemoMarker.objects.count() == 1
    serve.assert_called_once()


def test_demo_refuses_production_mode_and_a_foreign_database(county, settings):
    register(county, timezone.now())
    with mock.patch("xinfang.demo.management.commands.demo.Command.serve") as serve:
        with pytest.raises(CommandError, match="没有演示标记"):
            call_command("demo")
        settings.PRODUCTION = True
        with pytest.raises(CommandError, match="XINFANG_ENV=production"):
            call_command("demo")
    serve.assert_not_called()
    assert Matter.objects.count() == 1 and not DemoMarker.objects.exists()


# --------------------------------------------------------------- the benches' --reset


class _Stop(Exception):
    """Raised where a bench would start building its county: the reset is what is tested."""


BENCH_RESETS = [["bench", "--reset", "--matters", "0"],
                ["bench-intake", "--reset", "--matters", "0", "--profile", "0"]]


@pytest.fixture
def _bench_child(monkeypatch):
    from xinfang.demo.management.commands.bench import CHILD

    monkeypatch.setenv(CHILD, "1")  # bench in this process, on the test database


@contextmanager
def _audit_truncate_guard_on():
    """The audit log's TRUNCATE trigger enabled as in a deployment (the test database runs
    with it off so transactional tests can flush, tests/conftest.py), and off again after."""
    from django.db import connection

    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cur:
        cur.execute("ALTER TABLE audit_auditlog ENABLE TRIGGER audit_auditlog_no_truncate")
    try:
        yield
    finally:
        with connection.cursor() as cur:
            cur.execute("ALTER TABLE audit_auditlog DISABLE TRIGGER USER")


@pytest.mark.usefixtures("_bench_child")
@pytest.mark.parametrize("argv", BENCH_RESETS, ids=lambda a: a[0])
def test_bench_reset_refuses_a_database_without_the_marker(county, argv):
    from xinfang.audit.models import AuditLog
    from xinfang.demo.guard import flush_demo

    m = register(county, timezone.now())
    logged = AuditLog.objects.count()
    with mock.patch("xinfang.demo.county.build_county", side_effect=_Stop):
        with pytest.raises(CommandError) as e:
            call_command(*argv)
    assert "拒绝清空" in str(e.value) and "refusing to flush" in str(e.value)
    with pytest.raises(CommandError, match="没有演示标记"):
        flush_demo()  # the flush itself asks for the marker, whoever calls it
    assert list(Matter.objects.values_list("pk", flat=True)) == [m.pk]
    assert AuditLog.objects.count() == logged > 0 and not DemoMarker.objects.exists()


@pytest.mark.django_db(transaction=True)  # flush is a TRUNCATE: outside a test transaction
@pytest.mark.usefixtures("_bench_child")
@pytest.mark.parametrize("argv", BENCH_RESETS, ids=lambda a: a[0])
def test_bench_reset_flushes_a_bench_database_with_the_audit_guard_on(county, argv):
    """On PostgreSQL with the audit log's TRUNCATE trigger on (as deployed): ``--reset``
    empties a database the bench wrote, audit log included, and the trigger is on again
    afterwards — a TRUNCATE of the log is still refused."""
    from django.db import DatabaseError, connection, transaction

    from xinfang.audit.models import AuditLog

    register(county, timezone.now())
    DemoMarker.objects.create(note="bench")
    assert AuditLog.objects.exists()
    with _audit_truncate_guard_on():
        with mock.patch("xinfang.demo.county.build_county", side_effect=_Stop):
            with pytest.raises(_Stop):
                call_command(*argv)
        assert Matter.objects.count() == 0 and User.objects.count() == 0
        assert AuditLog.objects.count() == 0
        assert list(DemoMarker.objects.values_list("note", flat=True)) == ["bench"]  # claimed
        if connection.vendor == "postgresql":
            with pytest.raises(DatabaseError, match="只能追加"), transaction.atomic(), \
                    connection.cursor() as cur:
                cur.execute("TRUNCATE audit_auditlog CASCADE")

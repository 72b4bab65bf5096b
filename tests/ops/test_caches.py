"""Caches that outlive a request follow a change made in any process (issue 15 item 4).

Another process's change is played here as the rows changed without this process's signals
(``QuerySet.update``, ``bulk_create``) and the shared version bumped as that process's save
does (core.versioned): until the bump this process keeps its value, after it the new one.
The time limits: tests/ops/test_jobs.py; across real processes: tests/ops/test_production_stack.py.
"""

from __future__ import annotations

from datetime import date

import pytest

from tests.conftest import sh
from tests.scenario import register
from xinfang.core import versioned
from xinfang.org.models import Body, ClockPolicy, Holiday, RoutingRule
from xinfang.org.scope import SCOPE_VERSION
from xinfang.petitions import clocks, queries, routing


@pytest.fixture(autouse=True)
def _look_every_time(monkeypatch):
    monkeypatch.setattr(versioned, "CHECK_SECONDS", 0.0)


def test_a_holiday_entered_in_another_process_is_used_here(county):
    day = date(2026, 6, 3)  # a Wednesday, a working day in the package's table
    assert clocks.calendar().is_workday(day)
    Holiday.objects.bulk_create([Holiday(date=day, is_workday=False, name="临时休息")])
    assert clocks.calendar().is_workday(day)  # this process's table, until the version moves
    versioned.bump("clocks.calendar")  # the other process's save bumped it
    assert not clocks.calendar().is_workday(day)


def test_an_edit_bumps_the_shared_version_again_when_it_commits(
        county, django_capture_on_commit_callbacks):
    """A process that looked between the edit and its commit recomputed from the old rows;
    the bump at commit makes it compute again."""
    before = versioned._shared_version("clocks.rules")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        policy = ClockPolicy.objects.get_or_create(
            code="D1", defaults={"name": "登记", "days": 15, "unit": "working"})[0]
        policy.days += 1
        policy.save()
    during = versioned._shared_version("clocks.rules")
    assert during != before
    for callback in callbacks:
        callback()
    assert versioned._shared_version("clocks.rules") != during


def test_the_queue_follows_a_unit_moved_in_the_tree_by_another_process(county):
    """The queue's compiled SQL (the list and the badges) bakes in the unit's division: moving
    the unit (here the county government, whose leader oversees its division) reaches every
    process's compiled SQL."""
    leader, gov = county.users["leader"], county.gov
    tab, today = queries.TABS["all"], date(2026, 3, 2)
    old_path, new_path = gov.division.path, county.townships[0].path

    def compiled() -> tuple[list[object], list[object]]:
        """The parameters of the queue's SQL and of a tab's new-item badge."""
        leader.refresh_from_db()
        return (queries._parts(leader, tab, today, 51)[1],
                queries._new_part(leader, queries.TABS["review"], today)[1])

    assert all(old_path in params for params in compiled())
    Body.objects.filter(pk=gov.pk).update(division=county.townships[0])
    assert all(old_path in params for params in compiled())  # compiled under the old tree
    versioned.bump(SCOPE_VERSION)  # the other process's save bumped it
    for params in compiled():
        assert new_path in params and old_path not in params


def test_saving_a_unit_or_a_division_bumps_the_scope_version(county):
    before = versioned._shared_version(SCOPE_VERSION)
    county.gov.save()
    after_body = versioned._shared_version(SCOPE_VERSION)
    county.townships[0].save()
    assert before != after_body != versioned._shared_version(SCOPE_VERSION)


def test_routing_rules_are_read_at_each_use_so_another_process_edit_applies_at_once(county):
    m = register(county, sh(2026, 3, 2))  # 物业 (CX01) in a village of the first township
    first = routing.suggestion(m)
    assert first is not None and first.body_id == county.township_govs[0].pk
    RoutingRule.objects.filter(body=county.township_govs[0]).update(
        body=county.dept("住建"))  # no signal, no bump: nothing is cached
    assert routing.suggestion(m).body_id == county.dept("住建").pk


A_WORKER = """
import sys, time
from datetime import date
from xinfang.petitions import clocks
def show():
    print("seen", clocks.rules()["D1"].days, clocks.calendar().is_workday(date(2026, 6, 3)),
          flush=True)
show()
sys.stdin.readline()
time.sleep(1.5)  # a process looks at the shared versions at most once a second
show()
"""
AN_ADMIN = """
from datetime import date
from xinfang.org.models import ClockPolicy, Holiday
from xinfang.petitions import clocks
d1 = clocks.rules()["D1"]
ClockPolicy.objects.update_or_create(code="D1", defaults={
    "name": d1.name, "days": d1.days + 5, "unit": d1.unit.value, "article": d1.article})
Holiday.objects.create(date=date(2026, 6, 3), is_workday=False, name="临时休息")
"""


def test_an_edit_in_one_process_reaches_a_running_process_through_the_shared_cache(tmp_path):
    """Two real processes in production mode on one database and its cache table (no Redis):
    a running worker keeps its time limits and calendar until an administrator's edit in
    another process, and uses the edited ones a second later, without a restart."""
    import subprocess
    import sys

    from tests.ops.test_production_settings import ROOT, example_env, xinfang

    env = example_env(tmp_path)
    for step in (["migrate", "--noinput", "-v0"], ["createcachetable"]):
        r = xinfang(env, *step)
        assert r.returncode == 0, r.stderr
    worker = subprocess.Popen([sys.executable, "-m", "xinfang.cli", "shell", "-c", A_WORKER],
                              env=env, cwd=ROOT, stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = _seen(worker.stdout.readline, lambda: worker.stderr.read())
        assert first[1] == "True", first
        r = xinfang(env, "shell", "-c", AN_ADMIN)
        assert r.returncode == 0, r.stderr
        out, err = worker.communicate("edited\n", timeout=60)
    finally:
        worker.kill()
    lines = iter(out.splitlines(keepends=True))
    assert _seen(lambda: next(lines, ""), lambda: err) == [str(int(first[0]) + 5), "False"], err


def _seen(readline, stderr) -> list[str]:
    """The worker's next "seen" line (settings may print other lines before it)."""
    while line := readline():
        if line.startswith("seen "):
            return line.split()[1:]
    raise AssertionError(stderr())

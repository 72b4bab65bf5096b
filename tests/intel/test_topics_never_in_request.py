"""Hot topics and the topic warnings are never clustered inside a web request (issue 19
item 5): without a result of the topics job a page enqueues the job once, says 正在计算 and
(``/topics/``) polls until the result is there; the web process never loads the text stack
for these pages."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta

import time_machine
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from tests.conftest import sh
from tests.petitions.helpers import ID_A, ID_B, register
from xinfang.domain import idcard
from xinfang.ops import jobs
from xinfang.ops.models import JobRun
from xinfang.petitions import intel
from xinfang.petitions.intel import snapshot
from xinfang.petitions.models import TopicSnapshot

RUN_JOB = "xinfang.ops.tasks.run_job"
HTMX = {"HTTP_HX_REQUEST": "true"}


def _topic(county) -> list:
    rows = [("阳光小区物业乱收停车费", ID_A, "13800138000"), ("阳光小区物业多收停车费", ID_B, "13900139000"),
            ("反映阳光小区停车费乱收", idcard.make("99012119850505123"), "13600136000")]
    return [register(county, sh(2026, 6, 10 + i), title=t, content="阳光小区物业每月多收停车费200元。",
                     id_number=i_, phone=p) for i, (t, i_, p) in enumerate(rows)]


def _queued_topics_tasks() -> int:
    return DBTaskResult.objects.filter(task_path=RUN_JOB, status="READY").count()


def test_without_a_result_the_page_asks_for_the_job_once_polls_and_shows_it_when_done(
        transactional_db, login, county, frozen):
    topic = _topic(county)
    c = login(county.users["officer"])
    url = reverse("topics") + "?days=30"
    first = c.get(url)
    page = first.content.decode()
    assert first.status_code == 200
    assert "正在计算热点问题" in page and "作业正在排队" in page
    assert 'role="status"' in page and 'hx-trigger="every 5s"' in page and "poll=1" in page
    assert "阳光小区" not in page
    assert c.get(url).status_code == 200  # a second request while the run waits
    [run] = JobRun.objects.filter(job="topics")
    assert run.status == JobRun.Status.QUEUED and _queued_topics_tasks() == 1
    assert f"{timezone.localtime(run.enqueued_at):%Y-%m-%d %H:%M}" in page  # when it was asked
    # The topic's page has nothing to show yet: back to the list, which says why.
    assert c.get(reverse("topic", args=[1]) + "?days=30").url.startswith(reverse("topics"))
    # The poll answers 204 (htmx swaps nothing) while the run is not done.
    assert c.get(url + "&poll=1", **HTMX).status_code == 204
    # The dashboard and the API show the other warnings, with a note; still one run.
    leader = login(county.users["leader"])
    dash = leader.get(reverse("dashboard")).content.decode()
    assert "热点类预警" in dash and "正在由后台作业计算" in dash and "当前没有其他预警" in dash
    api = leader.get("/api/v1/warnings").json()
    assert api["topics_result"]["computed_at"] is None and api["topics_result"]["asked_at"]
    assert JobRun.objects.filter(job="topics").count() == 1 and _queued_topics_tasks() == 1

    jobs.task_worker("w0", interval=0, batch=True).run()  # the worker runs the job
    run.refresh_from_db()
    assert run.status == JobRun.Status.SUCCEEDED and TopicSnapshot.objects.count() == 1
    c = login(county.users["officer"])
    arrived = c.get(url + "&poll=1", **HTMX)
    part = arrived.content.decode()
    assert arrived.status_code == 200 and "阳光小区" in part and "<td>3</td>" in part
    assert 'hx-swap-oob="innerHTML"' in part and "热点问题已计算完成：1 个热点" in part
    assert "hx-trigger" not in part  # the polling stops
    full = c.get(url).content.decode()
    assert "正在计算" not in full and "阳光小区" in full
    detail = c.get(reverse("topic", args=[1]) + "?days=30").content.decode()
    assert all(m.number in detail for m in topic)
    assert JobRun.objects.filter(job="topics").count() == 1  # a fresh result asks for nothing


def test_a_run_lost_or_finished_does_not_hold_back_the_next_request(db, county):
    """A request enqueues again once the run it found has finished without a result, or
    was enqueued so long ago that its worker must have died with it 运行中."""
    with time_machine.travel(sh(2026, 6, 15), tick=False):
        first = snapshot.ask()
        assert first is not None and first.status == "queued"
        assert snapshot.ask() == first and JobRun.objects.filter(job="topics").count() == 1
        JobRun.objects.filter(job="topics").update(status=JobRun.Status.RUNNING)
        assert snapshot.ask().status == "running" and JobRun.objects.count() == 1
    with time_machine.travel(sh(2026, 6, 15) + timedelta(hours=2), tick=False):
        again = snapshot.ask()  # the running one is two hours old: taken for lost
    assert again.asked_at > first.asked_at and JobRun.objects.filter(job="topics").count() == 2
    JobRun.objects.filter(job="topics").update(status=JobRun.Status.FAILED)
    with time_machine.travel(sh(2026, 6, 15, 13), tick=False):
        assert snapshot.ask().asked_at == sh(2026, 6, 15, 13)
    assert JobRun.objects.filter(job="topics").count() == 3


def test_the_scheduler_runs_no_second_topics_job_beside_one_a_page_asked_for(db, settings):
    """A page asked for the topics job; the scheduler's slot falls due while it is queued or
    running, and again in the slot where it finished: one run in all. The next slot, with
    the asked run done, gets its own run; a failed asked run does not stand for the slot."""
    settings.XINFANG_TOPICS_INTERVAL = 900
    start = sh(2026, 6, 15, 10) + timedelta(minutes=5)  # 5 minutes into a 15-minute slot
    with time_machine.travel(start, tick=False):
        asked = snapshot.ask()
        assert asked is not None and JobRun.objects.filter(job="topics").count() == 1
    for minutes, status in ((6, JobRun.Status.QUEUED), (16, JobRun.Status.RUNNING),
                            (20, JobRun.Status.SUCCEEDED)):
        JobRun.objects.filter(job="topics").update(
            status=status, finished_at=start + timedelta(minutes=19) if minutes == 20 else None)
        with time_machine.travel(start + timedelta(minutes=minutes), tick=False):
            assert [r.job for r in jobs.schedule_due() if r.job == "topics"] == []
        assert JobRun.objects.filter(job="topics").count() == 1, minutes
    with time_machine.travel(start + timedelta(minutes=31), tick=False):  # the next slot
        assert [r.job for r in jobs.schedule_due()].count("topics") == 1
        jobs.ask("topics")  # a page now: the scheduled run is queued, nothing more
    assert JobRun.objects.filter(job="topics").count() == 2
    JobRun.objects.filter(job="topics").update(status=JobRun.Status.FAILED)
    with time_machine.travel(start + timedelta(minutes=47), tick=False):
        asked = jobs.ask("topics")  # asked after the slot began, then it fails
        JobRun.objects.filter(pk=asked.pk).update(status=JobRun.Status.FAILED)
        assert [r.job for r in jobs.schedule_due()].count("topics") == 1
    assert JobRun.objects.filter(job="topics").count() == 4


def test_a_stale_result_is_shown_with_its_time_and_a_new_run_is_asked_for(login, county,
                                                                           frozen, settings):
    _topic(county)
    snapshot.compute()  # at 2026-06-15 10:00
    frozen.shift(timedelta(seconds=3 * settings.XINFANG_TOPICS_INTERVAL + 60))
    c = login(county.users["officer"])
    page = c.get(reverse("topics") + "?days=30").content.decode()
    assert "阳光小区" in page and "已较陈旧" in page and "2026-06-15 10:00" in page
    assert "hx-trigger" not in page
    assert JobRun.objects.filter(job="topics", status="queued").count() == 1
    w = intel.warnings_for(county.users["leader"])
    assert w.topics_stale and w.topics_pending is not None


def test_no_module_of_the_intel_package_clusters():
    """The callers of the clustering inside the web's intel package: none (the topics job,
    ``snapshot.compute``, is the only one, and it runs in the worker)."""
    from pathlib import Path

    import xinfang.petitions.intel as pkg

    for path in Path(pkg.__file__).parent.glob("*.py"):
        text = path.read_text()
        if path.name == "snapshot.py":
            assert "TopicState" in text
            continue
        assert "cluster_topics" not in text and "TopicState" not in text, path.name


# --------------------------------------------------------------------------- a fresh process

RENDER = r"""
import json, sys
import django
django.setup()
from django.test import Client
from django_tasks_db.models import DBTaskResult
from xinfang.demo.county import mark_verified
from xinfang.ops.models import JobRun
from xinfang.org.models import User

out = {"pages": {}}
for username, path in [("xinfang", "/topics/?days=30"), ("lingdao", "/dashboard/"),
                       ("xinfang", "/topics/?days=7"), ("lingdao", "/"),
                       ("xinfang", "/warnings/"), ("lingdao", "/api/v1/warnings")]:
    user = User.objects.get(username=username)
    c = Client()
    c.force_login(user)
    mark_verified(c, user)
    r = c.get(path)
    out["pages"][path] = [r.status_code, r.content.decode()]
out["modules"] = sorted(m for m in sys.modules
                        if m.split(".")[0] in ("jieba", "numpy", "scipy", "sklearn"))
out["runs"] = JobRun.objects.filter(job="topics").count()
out["tasks"] = DBTaskResult.objects.filter(task_path="xinfang.ops.tasks.run_job",
                                           status="READY").count()
print("RESULT " + json.dumps(out, ensure_ascii=False))
"""


def _render_in_a_fresh_process(tmp_path) -> dict:
    """Run RENDER in a new interpreter on this test's database (committed rows): SQLite's
    in-memory database copied to a file, PostgreSQL's test database by name."""
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        import sqlite3

        path = tmp_path / "copy.sqlite3"
        path.unlink(missing_ok=True)
        dest = sqlite3.connect(path)
        connection.ensure_connection()
        connection.connection.backup(dest)
        dest.close()
        url = f"sqlite:///{path}"
    else:
        auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
        url = f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "xinfang.settings"}
    r = subprocess.run([sys.executable, "-c", RENDER], capture_output=True, text=True, env=env,
                       timeout=300)
    line = [x for x in r.stdout.splitlines() if x.startswith("RESULT ")]
    assert r.returncode == 0 and line, r.stderr[-3000:]
    return json.loads(line[-1][len("RESULT "):])


def test_a_web_process_renders_the_pages_without_the_text_stack_and_asks_once(
        transactional_db, county, tmp_path):
    """In any state of the topics job (no result, then a result) the web process that renders
    /topics/, the dashboard, the leader's queue, the warnings and their API imports neither
    jieba, numpy, scipy nor scikit-learn; without a result, its requests enqueue one run."""
    now = timezone.now()
    for i, (t, id_, phone) in enumerate([
            ("阳光小区物业乱收停车费", ID_A, "13800138000"), ("阳光小区物业多收停车费", ID_B, "13900139000"),
            ("反映阳光小区停车费乱收", idcard.make("99012119850505123"), "13600136000")]):
        register(county, now - timedelta(days=1, hours=i), title=t,
                 content="阳光小区物业每月多收停车费200元。", id_number=id_, phone=phone)
    got = _render_in_a_fresh_process(tmp_path)
    assert {p: s for p, (s, _) in got["pages"].items()} == dict.fromkeys(got["pages"], 200)
    assert got["modules"] == [], got["modules"]
    assert "正在计算热点问题" in got["pages"]["/topics/?days=30"][1]
    assert "正在由后台作业计算" in got["pages"]["/dashboard/"][1]
    assert got["runs"] == 1 and got["tasks"] == 1  # six requests, one run asked for

    snapshot.compute()  # the worker's run (here: this process, which has the stack loaded)
    runs = JobRun.objects.filter(job="topics").count()  # SQLite: the copy's run is not here
    got = _render_in_a_fresh_process(tmp_path)
    assert got["modules"] == [], got["modules"]
    assert "阳光小区" in got["pages"]["/topics/?days=30"][1]
    assert "正在由后台作业计算" not in got["pages"]["/dashboard/"][1]
    assert got["runs"] == runs  # a fresh result: nothing asked


"""The indicator counters (issue 17 "Speed"): the services keep them in the write's own
transaction, and after any sequence of real writes every figure read from them equals the same
figure counted from the rows and the length of its drill-down; ``rebuild-aggregates`` rebuilds
exactly what the services kept, and ``--verify`` finds a counter that drifted."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse

from tests.conftest import sh
from tests.scenario import advance, register
from xinfang.domain import tally as dt
from xinfang.petitions import census, clocks, intel, jobs, services
from xinfang.petitions.history.parse import sample_csv
from xinfang.petitions.models import Matter, Tally, TallyMonth
from xinfang.petitions.services import Correction
from xinfang.practice import aggregates, drilldown
from xinfang.practice import indicator_scope as S
from xinfang.practice import indicators as I
from xinfang.practice.services import assessment

# One county for the module, a deep copy per test (tests/conftest.py module_db).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("module_county")]

TALLIED = [c for c, d in I.REGISTRY.items() if d.tally is not None]


def _at(when, fn, *a, **kw):
    with time_machine.travel(when, tick=False):
        clocks.invalidate()
        return fn(*a, **kw)


def _reg(county, when, i, **kw):
    return _at(when, register, county, when, phone=f"1390001{i:04d}", id_number="", **kw)


def _history(tmp_path: Path) -> Path:
    base = {"信访形式": "来信", "标题": "小区物业费上涨", "信访目的": "要求核查物业费标准",
            "主要内容": "物业公司未经业主大会同意上调物业费", "问题属地": "东门社区",
            "内容分类": "城乡建设/物业管理", "事项类别": "申诉求决类", "信访人姓名": "王五",
            "证件号码": "", "联系电话": "13800138000", "住址": "东门社区3栋",
            "登记单位": "安平县信访局", "责任单位": "", "转送日期": "", "受理日期": "",
            "答复日期": "", "办理结果": "", "满意度": "", "办理状态": "待处置", "被反映单位": ""}
    housing = "安平县住房和城乡建设局"
    rows = [
        {**base, "信访件编号": "OLD-1", "信访日期": "2026-01-05"},
        {**base, "信访件编号": "OLD-2", "信访日期": "2026-01-06", "责任单位": housing,
         "转送日期": "2026-01-08", "受理日期": "2026-01-12", "办理状态": "办理中"},
        {**base, "信访件编号": "OLD-3", "信访日期": "2025-12-02", "责任单位": housing,
         "转送日期": "2025-12-04", "受理日期": "2025-12-06", "答复日期": "2026-01-20",
         "办理结果": "解释说明", "满意度": "满意", "办理状态": "已答复"},
        {**base, "信访件编号": "OLD-4", "信访日期": "2025-12-03", "信访形式": "来访",
         "责任单位": housing, "转送日期": "2025-12-04", "受理日期": "2025-12-06",
         "答复日期": "2026-01-28", "办理结果": "不予支持", "满意度": "不满意",
         "办理状态": "已答复"},
    ]
    p = tmp_path / "old.csv"
    p.write_text(sample_csv(rows), encoding="utf-8")
    return p


def _writes(county, tmp_path):
    """A county's winter, through the services: registrations by several channels (one a
    repeat, one a group visit), 交办 with a 三色 grade, 转送, acceptance, answers, ratings, a
    correction, a withdrawal, the daily sweeps, a history import, an exemption decided and
    one revoked."""
    u, zj = county.users, county.dept("住建")
    ms = {}
    ms["a"] = _reg(county, sh(2026, 1, 5), 1)
    ms["b"] = _reg(county, sh(2026, 1, 6), 2, channel="letter")
    ms["c"] = _reg(county, sh(2026, 1, 7), 3, headcount=6, collective=True)
    ms["d"] = _reg(county, sh(2026, 1, 8), 4, channel="online")
    ms["e"] = _reg(county, sh(2026, 1, 9), 5, klass="report", accused_body=county.dept("人社"))
    ms["f"] = _reg(county, sh(2026, 1, 10), 6)
    # 交办 with a grade (D3, D5 and the green feedback clock), 转送 for the rest.
    _at(sh(2026, 1, 12), services.transition, ms["a"], "assign", user=u["officer"],
        data={"to_body": zj.pk, "report_due": "2026-03-31", "grade": "green"})
    for key in ("b", "c", "f"):
        _at(sh(2026, 1, 13), advance, county, ms[key], "dispatched")
    for key in ("a", "b", "c"):
        _at(sh(2026, 1, 15), advance, county, Matter.objects.get(pk=ms[key].pk), "handling")
    # A correction moves a matter's class and headcount after dispatch.
    _at(sh(2026, 1, 16), services.correct_registration, Matter.objects.get(pk=ms["c"].pk),
        Correction(reason="人数登记有误", matter={"headcount": 8}), user=u["officer"])
    # Answers, one on time and one rated 不满意, one rated 满意.
    for key, day in (("a", 2), ("b", 20)):
        _at(sh(2026, 2, day), advance, county, Matter.objects.get(pk=ms[key].pk), "replied")
    _at(sh(2026, 2, 5), services.transition, Matter.objects.get(pk=ms["a"].pk),
        "rate_unsatisfied", citizen=True, data={"rating": "unsatisfied",
                                                "xinfang_rating": "basic"})
    _at(sh(2026, 2, 25), services.transition, Matter.objects.get(pk=ms["b"].pk),
        "rate_satisfied", citizen=True, data={"rating": "satisfied"})
    # The same petitioner as "a" again: a repeat (the original's 初信初访化解 changes too).
    ms["g"] = _reg(county, sh(2026, 2, 10), 1)
    assert ms["g"].repeat_kind == "repeat"
    # 撤回 before the answer.
    _at(sh(2026, 2, 11), services.transition, Matter.objects.get(pk=ms["f"].pk), "withdraw",
        citizen=True, data={"reason": "已与物业协商解决"})
    # The daily sweeps: reminders, 督办 of what is overdue, closing lapsed windows.
    for day in (sh(2026, 2, 1), sh(2026, 3, 1), sh(2026, 3, 20)):
        _at(day, jobs.sweep)
    _at(sh(2026, 2, 1), call_command, "import", str(_history(tmp_path)))
    # 不纳入考核: one decided, one decided then revoked.
    _at(sh(2026, 3, 2), assessment.exempt, Matter.objects.get(pk=ms["d"].pk),
        user=u["supervisor"], reason="duplicate_entry", note="与另一件重复登记")
    e = _at(sh(2026, 3, 2), assessment.exempt, Matter.objects.get(pk=ms["b"].pk),
            user=u["supervisor"], reason="force_majeure", note="暴雪")
    _at(sh(2026, 3, 3), assessment.revoke_exemption, e, user=u["supervisor"], note="核实有误")
    return ms


def _stored(model=Tally):
    return {dt.Key(t.metric, t.day, t.division_id, t.body_id, t.accused_id, t.exempt, t.bucket,
                   t.dim): (t.n, t.persons) for t in model.objects.exclude(n=0, persons=0)}


def _months_are_days_summed():
    """Every month row is its month's day rows summed, and there is no other month row."""
    months = _stored(TallyMonth)
    assert months and months == dt.by_month(_stored(Tally))
    assert all(k.day.day == 1 for k in months)
    return months


def _check(scope, period):
    nonzero = set()
    for code in TALLIED:
        d = I.REGISTRY[code]
        f, rows = I.figure(code, scope, period), I.figure_from_rows(code, scope, period)
        assert (f.parts, f.persons) == (rows.parts, rows.persons), (code, period.key, scope)
        drilled = drilldown.drill(code, scope, period, d.buckets)
        assert dict(Counter(r.bucket for r in drilled)) == {k: v for k, v in f.parts.items()
                                                             if v}, (code, period.key)
        if f.denominator:
            nonzero.add(code)
    return nonzero


def test_counters_follow_every_write_and_equal_the_rows(county, tmp_path):
    _writes(county, tmp_path)
    leader = county.users["leader"]
    handler_unit = county.dept("住建")
    nonzero = set()
    for today in (sh(2026, 2, 15), sh(2026, 3, 20), sh(2026, 6, 1)):
        with time_machine.travel(today, tick=False):
            clocks.invalidate()
            for period in (I.Period.month(2026, 1), I.Period.month(2026, 2),
                           I.Period.month(2026, 3), I.Period.last_twelve_months(),
                           S.parse_period("2025")):
                for scope in (I.Scope.for_division(county.county), I.Scope.for_user(leader),
                              I.Scope.for_division(county.county, handler_unit),
                              I.Scope.for_division(county.townships[0])):
                    nonzero |= _check(scope, period)
                by_unit = I.by_unit("on_time_reply", I.Scope.for_division(county.county), period)
                for unit_id, f in by_unit.items():
                    unit = county.dept("住建") if unit_id == handler_unit.pk else None
                    if unit is not None:
                        one = I.figure_from_rows("on_time_reply", I.Scope.for_division(
                            county.county, unit), period)
                        assert f.parts == one.parts
    # The sequence reaches the figures the services move (the 包案/积案 counts are rows).
    assert nonzero >= {"timely_acceptance", "on_time_reply", "graded_green", "repeat",
                       "level_skip", "participation_handling", "satisfaction_handling",
                       "first_resolution", "overdue", "participation_xinfang",
                       "satisfaction_xinfang"}, nonzero
    _months_are_days_summed()
    _census_is_the_read_gate(county)
    r = aggregates.verify()
    assert (r.different, r.month_different, r.snapshots_off) == (0, 0, 0), r.differences


CENSUS_USERS = ("officer", "leader", "admin", "handler", "unit_head", "gov_officer",
                "city_officer", "other_handler", "town_handler", "registrar")


def _census_is_the_read_gate(county):
    """The statistics from the census counters equal the matters the read gate lets each
    user see, counted per state and per holder — the county's officer, a unit handler, the
    unit a 检举控告 accuses (§30 ¶3), a township, the city — and the sequence moved them."""
    seen = {}
    for key in CENSUS_USERS:
        user = county.users[key]
        got, want = census.statistics(user), census.from_rows(user)
        assert got == want, key
        assert got["total"] == access_count(user), key
        seen[key] = got
    assert seen["admin"]["total"] == Matter.objects.count() > 10
    assert len(seen["officer"]["by_state"]) >= 4  # registered, dispatched, handling, closed …
    # A unit handler sees what was sent to it, not the county's; the accused unit has one
    # matter fewer than it would without §30 ¶3.
    assert 0 < seen["handler"]["total"] < seen["officer"]["total"]
    return seen


def access_count(user):
    from xinfang.petitions import access

    return access.visible_matters(user).count()


def test_rebuild_gives_what_the_services_kept_and_verify_finds_drift(county, tmp_path):
    _writes(county, tmp_path)

    kept, kept_months = _stored(), _months_are_days_summed()
    assert kept
    out = call_command("rebuild-aggregates")
    assert out is None
    assert _stored() == kept and _stored(TallyMonth) == kept_months
    # A counter changed behind the services' back is found, and the rebuild mends it.
    t = Tally.objects.filter(metric="on_time_reply").first()
    Tally.objects.filter(pk=t.pk).update(n=t.n + 1)
    r = aggregates.verify()
    assert r.different == 1 and r.differences[0][0].metric == "on_time_reply"
    assert r.month_different == 0
    with pytest.raises(SystemExit):
        call_command("rebuild-aggregates", "--verify")
    aggregates.rebuild()
    assert _stored() == kept and aggregates.verify().different == 0
    # … a month row too (the dashboard reads whole months from them).
    m = TallyMonth.objects.filter(metric="received").first()
    TallyMonth.objects.filter(pk=m.pk).update(persons=m.persons + 2)
    r = aggregates.verify()
    assert (r.different, r.month_different) == (0, 1)
    assert r.month_differences[0][0].metric == "received"
    with pytest.raises(SystemExit):
        call_command("rebuild-aggregates", "--verify")
    aggregates.rebuild()
    assert _stored(TallyMonth) == kept_months and aggregates.verify().month_different == 0


def test_whole_months_are_read_from_month_rows(county, tmp_path):
    """The figures above equal the rows while reading month rows: a month row that disagreed
    with its days would show in a whole month's figure, not in a figure of part of it."""
    _writes(county, tmp_path)
    scope = I.Scope.for_division(county.county)
    with time_machine.travel(sh(2026, 6, 1), tick=False):
        clocks.invalidate()
        jan, part = I.Period.month(2026, 1), I.Period(sh(2026, 1, 1).date(), sh(2026, 1, 30).date(), clocks.today())
        assert [m for m, _ in I.counter_sources(jan.start, jan.end)] == [TallyMonth]
        before = I.figure("repeat", scope, jan)
        assert before.denominator == I.figure_from_rows("repeat", scope, jan).denominator > 0
        # Empty January's month rows: the whole month reads them, 30 of its days read day rows.
        TallyMonth.objects.filter(metric="received", day=jan.start).update(n=0)
        assert I.figure("repeat", scope, jan).denominator == 0
        assert I.figure("repeat", scope, part).parts == I.figure_from_rows(
            "repeat", scope, part).parts


def test_the_dashboard_reads_the_counters_within_the_users_scope(county, tmp_path, login):
    _writes(county, tmp_path)
    with time_machine.travel(sh(2026, 3, 20), tick=False):
        clocks.invalidate()
        c = login("leader")
        data = c.get(reverse("dashboard_data")).json()
        scope, period = I.Scope.for_user(county.users["leader"]), I.Period.last_twelve_months()
        reply = I.figure_from_rows("on_time_reply", scope, period)
        assert data["on_time_rate"]["numerator"] == reply.numerator
        assert data["on_time_rate"]["denominator"] == reply.denominator
        overdue = drilldown.drill("overdue", scope, I.Period(period.end, period.end, period.end), ("yes",))
        assert sum(r["count"] for r in data["overdue_by_unit"]) == len(overdue)
        # The volume charts equal the same charts counted from the matters.
        rows = intel.dashboard_data(county.users["leader"])
        for key in ("months", "withdrawn", "settled", "total", "collective_visits"):
            assert data[key] == rows[key], key
        for key, label in (("intake_by_channel", "channel"), ("klass", "klass"),
                           ("top_categories", "label")):
            assert ({r[label]: r.get("counts", r.get("count")) for r in data[key]}
                    == {r[label]: r.get("counts", r.get("count")) for r in rows[key]}), key
        assert data["total"] == 11 and data["withdrawn"] == 1
        assert data["collective_visits"]["batches"] == 1
        # A handful of statements, not one per figure and month source (~35 before): the
        # scope's divisions, the volumes, every counter figure and the overdue bars as one
        # UNION ALL, the two figures counted from rows (包案, 积案), the names.
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        from xinfang.practice import dashboard

        with CaptureQueriesContext(connection) as ctx:
            assert dashboard.data(county.users["leader"])["total"] == data["total"]
        unions = [q["sql"] for q in ctx.captured_queries if "UNION ALL" in q["sql"]]
        assert len(unions) == 2 and len(ctx.captured_queries) <= 9, [
            q["sql"][:80] for q in ctx.captured_queries]
        # The unit accused by the 检举控告 never counts it (§30 ¶3).
        accused = county.dept("人社")
        hidden = I.Scope.for_division(county.county)
        hidden = I.Scope(path=hidden.path, hidden_from=accused.pk)
        everything = I.figure("repeat", I.Scope.for_division(county.county), period)
        assert I.figure("repeat", hidden, period).denominator == everything.denominator - 1


def test_drill_down_pages_add_up_to_the_figure(county, tmp_path, login, monkeypatch):
    from xinfang.api import indicators as api_indicators
    from xinfang.web import indicators as web_indicators

    _writes(county, tmp_path)
    monkeypatch.setattr(web_indicators, "PAGE", 2)
    monkeypatch.setattr(api_indicators, "DRILL_LIMIT", 2)
    with time_machine.travel(sh(2026, 3, 20), tick=False):
        clocks.invalidate()
        c = login("leader")
        q = {"period": "2026-01"}
        f = c.get("/api/v1/indicators/timely_acceptance", q).json()
        assert f["count"] == f["figure"]["denominator"] > 2
        seen, offset = [], 0
        while offset is not None:
            page = c.get("/api/v1/indicators/timely_acceptance", {**q, "offset": offset}).json()
            seen += [(r["matter"], r["bucket"]) for r in page["rows"]]
            offset = page["next_offset"]
        assert Counter(b for _, b in seen) == {k: v for k, v in f["figure"]["parts"].items() if v}
        url = reverse("indicator_drill", args=["timely_acceptance"])
        first = c.get(url, q)
        assert first.context["pages"] == -(-f["count"] // 2) and len(first.context["rows"]) == 2
        last = c.get(url, {**q, "page": first.context["pages"]})
        listed = sum(len(c.get(url, {**q, "page": p}).context["rows"])
                     for p in range(1, first.context["pages"] + 1))
        assert listed == f["count"] and last.status_code == 200
        assert c.get(url, {**q, "page": "x"}).context["page"] == 1
        assert c.get("/api/v1/indicators/timely_acceptance", {**q, "offset": "-1"}).status_code == 400


def test_statistics_follow_the_read_gate_and_the_migration_fills_them(county, tmp_path, login):
    """The census counters (the statistics per state and per holder) after a sequence of
    writes: equal to the read gate for each kind of user, checked by ``--verify`` (a drifted
    census counter is found), served by ``/api/v1/statistics``, and rebuilt exactly by the
    migration that fills them for the matters already in (petitions 0027)."""
    import importlib
    from types import SimpleNamespace

    from django.db import connection

    from xinfang.petitions.models import TallySnapshot

    ms = _writes(county, tmp_path)
    # The report's accused unit: sent to it by mistake (§30 ¶3 forbids); the gate still hides
    # it. Here: 转送 the report to another unit, then check the accused one still sees none.
    _at(sh(2026, 3, 21), advance, county, Matter.objects.get(pk=ms["e"].pk), "dispatched")
    # A 检举控告 accusing the county government, inside its leader's jurisdiction: §30 ¶3
    # hides it from the leader, whose counts are one below the administrator's.
    gov = county.users["leader"].body
    _reg(county, sh(2026, 3, 22), 9, klass="report", accused_body=gov)
    seen = _census_is_the_read_gate(county)
    assert seen["leader"]["total"] == seen["admin"]["total"] - 1
    assert seen["officer"]["total"] == seen["admin"]["total"]
    kept = _stored()
    assert any(k.metric == dt.CENSUS and k.body_id for k in kept)
    # The API: the caller's own scope, labelled.
    data = login("handler").get("/api/v1/statistics").json()
    want = census.from_rows(county.users["handler"])
    assert data["total"] == want["total"] > 0
    assert {r["state"]: r["count"] for r in data["by_state"]} == want["by_state"]
    assert {r["holder_id"] or 0: r["count"] for r in data["by_holder"]} == want["by_holder"]
    assert all(r["label"] for r in data["by_state"])
    # A census counter changed behind the services' back is found.
    t = Tally.objects.filter(metric=dt.CENSUS).exclude(n=0).first()
    Tally.objects.filter(pk=t.pk).update(n=t.n + 1)
    r = aggregates.verify()
    assert r.different == 1 and r.differences[0][0].metric == dt.CENSUS
    Tally.objects.filter(pk=t.pk).update(n=t.n)
    # The migration on a database kept before the census: the same counters and snapshots.
    Tally.objects.filter(metric=dt.CENSUS).delete()
    for s in TallySnapshot.objects.all():
        c = {k: v for k, v in dt.decode(s.data).items() if k.metric != dt.CENSUS}
        TallySnapshot.objects.filter(pk=s.pk).update(data=dt.encode(c))
    assert aggregates.verify().different > 0
    importlib.import_module("xinfang.petitions.migrations.0027_census_counters").fill(
        None, SimpleNamespace(connection=connection))
    assert _stored() == kept
    r = aggregates.verify()
    assert (r.different, r.month_different, r.snapshots_off) == (0, 0, 0), r.differences
    _census_is_the_read_gate(county)

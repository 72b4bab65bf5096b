"""The rising-count early warnings read from the intake counters (``domain.tally.INTAKE``, issue
19 item 3) give what grouping the visible matters gives, for every kind of user: the county's
leader and officers, the city, a township's leader (its own matters outside its township
included), a township officer, units, the unit a 检举控告 accuses (§30 ¶3), confidential
matters counted where they are visible — and a jurisdiction below the township, which the
township counters cannot answer, is answered from the matters."""

from __future__ import annotations

import importlib
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.conftest import sh
from tests.scenario import advance, register
from xinfang.domain import idcard
from xinfang.domain import tally as dt
from xinfang.domain.states import Role
from xinfang.org.models import Body, User
from xinfang.petitions import census, intel
from xinfang.petitions.history.parse import sample_csv
from xinfang.petitions.intel import early_warning as ew
from xinfang.petitions.models import Matter, Tally, TallySnapshot
from xinfang.practice import aggregates
from xinfang.practice.services import assessment

pytestmark = pytest.mark.django_db

TODAY = sh(2026, 6, 15).date()
_n = 0


def _reg(county, when, village, code, **kw):
    global _n
    _n += 1
    kw.setdefault("id_number", idcard.make(f"99012119700101{_n:03d}"))
    kw.setdefault("phone", f"1360000{_n:04d}")
    return register(county, when, title=f"反映问题{_n}", content=f"第{_n}件反映的问题。",
                    category=county.categories[code] if code else None,
                    division=county.villages[village], **kw)


def _history(county, tmp_path):
    base = {"信访形式": "来信", "标题": "小区物业费上涨", "信访目的": "要求核查物业费标准",
            "主要内容": "物业公司未经业主大会同意上调物业费", "问题属地": county.villages[4].name,
            "内容分类": "城乡建设/物业管理", "事项类别": "申诉求决类", "信访人姓名": "王五",
            "证件号码": "", "联系电话": "13800138000", "住址": "青石村",
            "登记单位": "安平县信访局", "责任单位": "", "转送日期": "", "受理日期": "",
            "答复日期": "", "办理结果": "", "满意度": "", "办理状态": "待处置", "被反映单位": ""}
    housing = county.dept("住建").name
    rows = [{**base, "信访件编号": f"OLD-{i}", "信访日期": f"2026-06-{8 + i:02d}",
             **({"责任单位": housing, "转送日期": f"2026-06-{9 + i:02d}", "办理状态": "已转送"}
                if i % 2 else {})} for i in range(4)]
    p = tmp_path / "old.csv"
    p.write_text(sample_csv(rows), encoding="utf-8")
    call_command("import", str(p))


def _county(county, tmp_path):
    """Twelve weeks of a county with two rising series, matters sent to units and to a
    township outside their own, 检举控告 accusing the county government and a unit, a
    confidential matter, a repeat, an exempted matter, one without a category, the window's
    edge days, and a history import."""
    end = sh(2026, 6, 15)
    town0, town1 = county.township_govs[0], county.township_govs[1]
    zj = county.dept("住建")
    # 环境 in 河口镇 (villages 2, 3): quiet weeks, then six in the past week; half to 住建.
    for week in range(1, 12, 2):
        m = _reg(county, end - timedelta(days=7 * week + 2), 2, "HB02")
        if week % 4 == 1:
            advance(county, m, "dispatched", to=zj)
    for day in range(6):
        m = _reg(county, end - timedelta(days=day, hours=day), 2 + day % 2, "HB01",
                 confidential=day == 4)
        if day % 2 or day == 0:
            advance(county, m, "dispatched", to=zj)
    # A 检举控告 accusing the county government (its leader does not count it), one accusing
    # 住建, sent to 纪委 (never to the accused, §30 ¶3).
    _reg(county, end - timedelta(days=1), 2, "HB01", klass="report", accused_body=county.gov)
    rep = _reg(county, end - timedelta(days=2), 3, "HB01", klass="report", accused_body=zj)
    services_forward(county, rep, county.discipline, "refer_discipline")
    # 物业 in 城关镇 (villages 0, 1): quiet, then five this week; some to 城关镇's government.
    for week in (3, 7, 10):
        _reg(county, end - timedelta(days=7 * week), 0, "CX01")
    for day in range(5):
        m = _reg(county, end - timedelta(days=day, hours=3), day % 2, "CX01")
        if day < 3:
            services_forward(county, m, town0)
    # 河口镇's matters sent to 城关镇's government: its own, outside its township.
    for day in (0, 1, 2, 3, 40):
        services_forward(county, _reg(county, end - timedelta(days=day), 3, "LD01"), town0)
    # … and to 河口镇's own government (a township officer's scope).
    for day in (0, 5, 9):
        services_forward(county, _reg(county, end - timedelta(days=day), 2, "LD02"), town1)
    # A repeat, a matter without a category, the window's first day and the day before it.
    same = {"id_number": idcard.make("99012119700102001"), "phone": "13700000001"}
    _reg(county, end - timedelta(days=30), 4, "JY02", **same)
    assert _reg(county, end - timedelta(days=3), 4, "JY02", **same).repeat_kind != "first"
    _reg(county, end - timedelta(days=4), 5, None)
    _reg(county, sh(2026, 3, 24, 0) + timedelta(minutes=5), 5, "SM01")  # today − 83 days
    _reg(county, sh(2026, 3, 23, 23) + timedelta(minutes=55), 5, "SM01")  # today − 84: out
    _reg(county, sh(2026, 6, 14, 23) + timedelta(minutes=50), 4, "SM01")  # late evening
    # 不纳入考核: its counter rows move to the exempt flag and still count here.
    assessment.exempt(Matter.objects.filter(category=county.categories["HB01"]).first(),
                      user=county.users["supervisor"], reason="duplicate_entry", note="重复登记")
    _history(county, tmp_path)


def services_forward(county, m, body, name="forward"):
    from xinfang.petitions import services

    return services.transition(m, name, user=county.users["officer"], data={"to_body": body.pk})


def _extra_users(county):
    """A township's leader (a jurisdiction of depth 4), a township officer (its own matters
    only) and a village's government (a jurisdiction below the township)."""
    village_gov = Body.objects.create(name="河口村委会", kind=Body.Kind.PARTY_GOV,
                                      division=county.villages[2], parent=county.gov)

    def user(name, role, body):
        return User.objects.create(username=name, display_name=name, role=role.value, body=body)

    return {"town_leader": user("town_leader", Role.LEADER, county.township_govs[0]),
            "town_officer": user("town_officer", Role.OFFICER, county.township_govs[1]),
            "village_officer": user("village_officer", Role.OFFICER, village_gov)}


USERS = ("admin", "leader", "supervisor", "officer", "gov_officer", "city_officer", "registrar",
         "handler", "unit_head", "other_handler", "town_handler")


def _shape(ws):
    return sorted((w.division, w.category, w.weeks, w.baseline, w.method, w.detail) for w in ws)


def _same_for_everyone(county, users):
    got = {}
    for key, user in users.items():
        counted = ew.weekly_counts(user, TODAY)
        grouped = ew.weekly_counts(user, TODAY, from_matters=True)
        assert counted == grouped, key
        assert _shape(ew.rising_warnings(user, TODAY)) == _shape(
            ew.rising_warnings(user, TODAY, from_matters=True)), key
        got[key] = counted
    return got


def test_rising_warnings_from_the_counters_equal_the_matters_for_every_user(county, tmp_path,
                                                                            frozen):
    _county(county, tmp_path)
    users = {k: county.users[k] for k in USERS} | _extra_users(county)
    got = _same_for_everyone(county, users)
    hekou, chengguan = county.townships[1].code, county.townships[0].code
    # The sequence reaches what the read gate distinguishes.
    assert sum(got["admin"][(hekou, "环境保护")]) == 6 + 6 + 2
    assert got["leader"][(hekou, "环境保护")][-1] == got["officer"][(hekou, "环境保护")][-1] - 1
    assert got["handler"][(hekou, "环境保护")][-1] == 4  # sent to 住建
    assert (hekou, "劳动和社会保障") in got["town_leader"]  # its own, outside 城关镇
    assert {d for d, _c in got["town_leader"]} == {hekou, chengguan}
    assert set(got["town_officer"]) == {(hekou, "劳动和社会保障")}
    assert (county.townships[2].code, "未分类") in got["officer"]
    assert not census.township_rows_answer(users["village_officer"])
    assert got["village_officer"] and got["other_handler"] == {}
    # Warnings are raised from the counters where the matters raise them.
    leader = ew.rising_warnings(users["leader"], TODAY)
    assert {(w.division, w.category) for w in leader} >= {
        (county.townships[1].name, "环境保护"), (county.townships[0].name, "城乡建设")}
    assert ew.rising_warnings(users["handler"], TODAY)
    # The leader's counts: one statement on the counters (and one for the category names),
    # none on the matters.
    with CaptureQueriesContext(connection) as ctx:
        ew.weekly_counts(users["leader"], TODAY)
    assert len(ctx.captured_queries) <= 2
    assert not any("petitions_matter" in q["sql"] for q in ctx.captured_queries)
    # The services kept them exactly as a rebuild computes them; the rebuild and the
    # migration that fills them for matters already in give the same rows and snapshots.
    r = aggregates.verify()
    assert (r.different, r.month_different, r.snapshots_off) == (0, 0, 0), r.differences
    kept = _intake()
    assert kept and any(k.exempt for k in kept) and any(k.body_id for k in kept)
    snaps = dict(TallySnapshot.objects.values_list("matter_id", "data"))
    Tally.objects.filter(metric=dt.INTAKE).delete()
    for s in TallySnapshot.objects.all():
        c = {k: v for k, v in dt.decode(s.data).items() if k.metric != dt.INTAKE}
        TallySnapshot.objects.filter(pk=s.pk).update(data=dt.encode(c))
    assert ew.weekly_counts(users["leader"], TODAY) == {}
    importlib.import_module("xinfang.petitions.migrations.0028_intake_counters").fill(
        _Apps(), _Apps())
    assert _intake() == kept
    assert {k: dt.decode(v) for k, v in TallySnapshot.objects.values_list(
        "matter_id", "data")} == {k: dt.decode(v) for k, v in snaps.items()}
    r = aggregates.verify()
    assert (r.different, r.month_different, r.snapshots_off) == (0, 0, 0), r.differences
    aggregates.rebuild()
    assert _intake() == kept
    _same_for_everyone(county, users)
    # The dashboard's warnings (cached per scope) carry them.
    assert [(w.division, w.category) for w in intel.warnings_for(users["leader"]).rising] == [
        (w.division, w.category) for w in leader]


def _intake():
    return {dt.Key(t.metric, t.day, t.division_id, t.body_id, t.accused_id, t.exempt, t.bucket,
                   t.dim): (t.n, t.persons)
            for t in Tally.objects.filter(metric=dt.INTAKE).exclude(n=0, persons=0)}


class _Apps:
    """The current models, as the migration's ``apps`` (its fields exist on them), and the
    connection, as its schema editor's."""

    connection = connection

    @staticmethod
    def get_model(app, name):
        from django.apps import apps

        return apps.get_model(app, name)

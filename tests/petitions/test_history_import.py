"""`xinfang import`: a county's history from its old system (issue 19 item 4)."""

from __future__ import annotations

import json
from datetime import date
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from tests.conftest import sh
from xinfang.audit.models import AuditLog
from xinfang.audit.services import verify
from xinfang.petitions import jobs
from xinfang.petitions.history.parse import sample_csv
from xinfang.petitions.models import Clock, Evaluation, Event, Matter, Petitioner, Supervision


@pytest.fixture
def frozen_at():
    return sh(2026, 6, 15)


def row(number: str, **kw: str) -> dict[str, str]:
    base = {
        "信访件编号": number, "信访日期": "2026-05-06", "信访形式": "来信",
        "标题": "小区物业费上涨", "信访目的": "要求核查物业费标准",
        "主要内容": "物业公司未经业主大会同意上调物业费", "问题属地": "东门社区",
        "内容分类": "城乡建设/物业管理", "事项类别": "申诉求决类", "信访人姓名": "王五",
        "证件号码": "", "联系电话": "13800138000", "住址": "东门社区3栋",
        "登记单位": "安平县信访局", "责任单位": "", "转送日期": "", "受理日期": "",
        "答复日期": "", "办理结果": "", "满意度": "", "办理状态": "待处置",
        "被反映单位": "",
    }
    base.update(kw)
    return base


def write(tmp_path: Path, rows: list[dict[str, str]], name: str = "old.csv") -> Path:
    p = tmp_path / name
    p.write_text(sample_csv(rows), encoding="utf-8")
    return p


HOUSING = "安平县住房和城乡建设局"


def test_history_keeps_states_dates_and_clocks_and_sends_nothing(county, frozen, tmp_path, sms):
    rows = [
        row("9901212026000017"),  # our own format: the county's sequence moves past it
        row("OLD-2", **{"责任单位": HOUSING, "转送日期": "2026-05-08", "办理状态": "已转送"}),
        row("OLD-3", **{"信访日期": "2026-01-05", "责任单位": HOUSING, "转送日期": "2026-01-07",
                        "受理日期": "2026-01-12", "办理状态": "办理中"}),
        row("OLD-4", **{"信访日期": "2026-05-02", "责任单位": HOUSING, "转送日期": "2026-05-04",
                        "受理日期": "2026-05-06", "答复日期": "2026-06-01",
                        "办理结果": "解释说明", "满意度": "满意", "办理状态": "已答复"}),
        row("OLD-5", **{"信访日期": "2025-03-02", "责任单位": HOUSING, "转送日期": "2025-03-04",
                        "受理日期": "2025-03-06", "答复日期": "2025-04-01",
                        "办理结果": "不予支持", "办理状态": "已答复"}),
    ]
    out = call_command("import", str(write(tmp_path, rows)))
    assert out is None
    assert Matter.objects.count() == 5
    assert not sms.OUTBOX  # no SMS for the past

    fresh = Matter.objects.get(number="9901212026000017")
    assert fresh.state == "registered"
    assert fresh.received_at == sh(2026, 5, 6, 9)
    d1 = fresh.clocks.get(code="D1")
    assert d1.met_on is None and d1.due_on == date(2026, 5, 21)  # §22: 15 days from receipt

    sent = Matter.objects.get(number="OLD-2")
    assert sent.state == "dispatched" and sent.lead_body.name == HOUSING
    assert sent.clocks.get(code="D1").met_on == date(2026, 5, 8)
    assert sent.clocks.get(code="D3").met_on is None

    handling = Matter.objects.get(number="OLD-3")
    d6 = handling.clocks.get(code="D6")  # §34: 60 days from acceptance, overdue today
    assert d6.due_on == date(2026, 3, 13) and d6.met_on is None and d6.alert == "overdue"
    assert handling.next_due == date(2026, 3, 13)
    assert [e.label for e in handling.events.all()] == ["登记", "转送", "受理"]

    replied = Matter.objects.get(number="OLD-4")
    assert replied.state == "replied" and replied.outcome == "explained"
    assert replied.clocks.get(code="D6").met_on == date(2026, 6, 1)
    assert replied.clocks.get(code="D8").met_on is None  # the 复查 window still runs (§35)
    assert Evaluation.objects.get(matter=replied).rating == "satisfied"

    lapsed = Matter.objects.get(number="OLD-5")  # its §35 window ran out in 2025
    assert lapsed.state == "closed" and lapsed.closure_kind == "window_lapsed"

    # The sweep marks what is overdue now but issues no 督办 for a deadline of the past.
    before = Supervision.objects.filter(resolved_at__isnull=True).count()
    jobs.sweep()
    assert Supervision.objects.filter(resolved_at__isnull=True).count() == before
    assert not Event.objects.filter(action="supervise").exists()

    # Personal data encrypted and findable by the blind index, as for a registration.
    p = Petitioner.objects.get(matter=fresh)
    assert p.phone == "13800138000" and p.phone_index and p.name_index
    from xinfang.core.crypto import blind_indexes

    # The clerk's searches by phone and by name find the imported petitioner.
    assert Petitioner.objects.filter(matter=fresh,
                                     phone_index__in=blind_indexes("13800138000", "phone")).exists()
    assert Petitioner.objects.filter(matter=fresh, name_index__in=blind_indexes("王五", "name")).exists()
    # The timeline says where each step came from (JSON queried like any event's data).
    assert Event.objects.filter(matter=handling, data__imported="old.csv", data__line=4).count() == 3
    # The next registration of 2026 does not collide with the imported number.
    from xinfang.petitions.services.records import matter_number

    assert matter_number(county.xinfang, 2026) == "9901212026000018"
    # One audit row per batch, no personal data in it; the chain still verifies.
    logs = AuditLog.objects.filter(action="import_history")
    assert logs.count() == 1 and "13800138000" not in str(logs[0].data)
    assert verify().ok


def test_bad_rows_are_each_reported_and_nothing_is_imported(county, frozen, tmp_path):
    rows = [
        row("A-1"),
        row("A-2", **{"信访日期": "2026-13-40"}),
        row("A-3", **{"问题属地": "火星"}),
        row("A-4", **{"办理状态": "已答复"}),
        row("A-5", **{"证件号码": "110101199003070000"}),
        row("A-1"),
        row("A-7", **{"事项类别": "检举控告类", "被反映单位": HOUSING, "责任单位": HOUSING,
                      "转送日期": "2026-05-08", "办理状态": "已转送"}),
        row("A-8", **{"信访日期": "2026-07-01"}),
    ]
    errors = tmp_path / "errors.txt"
    with pytest.raises(CommandError, match="8 行中有 7 行有误，未导入任何数据"):
        call_command("import", str(write(tmp_path, rows)), errors=str(errors))
    assert Matter.objects.count() == 0
    lines = errors.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("第3行（A-2）：信访日期“2026-13-40”无法识别")
    assert "问题属地“火星”不是本系统的行政区划" in lines[1]
    assert "已答复的事项请填写答复日期和办理结果" in lines[2]
    assert "第6行（A-5）" in lines[3]
    assert "信访件编号与第2行重复" in lines[4]
    assert "检举控告不得交由被反映单位办理（§30 ¶3）" in lines[5]
    assert "信访日期晚于今天" in lines[6]

    # --skip-invalid imports the good row only.
    call_command("import", str(write(tmp_path, rows)), skip_invalid=True)
    assert list(Matter.objects.values_list("number", flat=True)) == ["A-1"]


def test_a_rerun_imports_nothing_twice_and_a_batch_is_all_or_nothing(county, frozen, tmp_path,
                                                                   monkeypatch):
    rows = [row(f"R-{i}") for i in range(7)]
    path = write(tmp_path, rows)
    # The third batch fails at its last write (the audit row), after its matters, clocks and
    # events went in: the two batches before it stay, nothing of the third remains.
    from xinfang.petitions.history import load

    real = load.audit.record
    calls = {"n": 0}

    def failing_third(*args, **kw):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("disk full")
        return real(*args, **kw)

    monkeypatch.setattr(load.audit, "record", failing_third)
    with pytest.raises(RuntimeError):
        call_command("import", str(path), batch=2)
    assert Matter.objects.count() == 4 and Event.objects.count() == 4
    monkeypatch.setattr(load.audit, "record", real)
    call_command("import", str(path), batch=2)  # resumed by running it again
    assert sorted(Matter.objects.values_list("number", flat=True)) == [f"R-{i}" for i in range(7)]
    call_command("import", str(path), batch=2)
    assert Matter.objects.count() == 7
    assert Event.objects.filter(action="register").count() == 7


def test_a_query_code_drawn_twice_redraws_the_batch_instead_of_stopping_the_import(
        county, frozen, tmp_path, monkeypatch):
    """The random 8-character query codes collide rarely per pair but often enough over a
    million matters: the batch's COPY or INSERT fails on the unique code, rolls back and is
    written again with new codes, and the import goes on."""
    from xinfang.petitions.history import load

    call_command("import", str(write(tmp_path, [row("Q-1")], name="first.csv")))
    taken = Matter.objects.get(number="Q-1").query_code
    real, calls = load._codes, {"n": 0}

    def once_taken(n):
        calls["n"] += 1
        codes = real(n)
        return [taken, *codes[1:]] if calls["n"] == 1 else codes

    monkeypatch.setattr(load, "_codes", once_taken)
    call_command("import", str(write(tmp_path, [row("Q-2"), row("Q-3")], name="more.csv")))
    assert calls["n"] == 2  # drawn again once
    codes = list(Matter.objects.values_list("query_code", flat=True))
    assert Matter.objects.count() == 3 and len(set(codes)) == 3


def test_excel_files_gbk_csv_and_column_mapping(county, frozen, tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    r = row("X-1")
    r["办理状态"] = "已登记"
    ws.append(list(r))
    ws.append(list(r.values()))
    wb.save(tmp_path / "old.xlsx")
    call_command("import", str(tmp_path / "old.xlsx"))
    assert Matter.objects.get(number="X-1").title == "小区物业费上涨"

    r2 = row("G-1")
    r2["来信日期"] = r2.pop("信访日期")
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes(sample_csv([r2]).encode("gb18030"))
    with pytest.raises(CommandError, match="缺少必需的列：信访日期"):
        call_command("import", str(gbk))
    call_command("import", str(gbk), map=["来信日期=received_on"])
    assert Matter.objects.get(number="G-1").received_at.date() == date(2026, 5, 6)


def test_history_clock_counts_with_the_holiday_calendar(county, frozen, tmp_path):
    # Received on the eve of 2026's National Day holiday: 15 calendar days, the end moved off
    # the holiday (same computation as a live registration).
    call_command("import", str(write(tmp_path, [row("H-1", **{"信访日期": "2025-09-25"})])))
    c = Clock.objects.get(matter__number="H-1", code="D1")
    from xinfang.domain import deadlines as dl
    from xinfang.petitions import clocks

    assert c.due_on == dl.compute_due(date(2025, 9, 25), clocks.rules()["D1"], clocks.calendar()).due


def test_an_imported_report_is_sealed_at_rest_like_a_registered_one(county, frozen, tmp_path):
    # §30 ¶3, issue 14 item 13: a 检举控告's free text is encrypted in the table, whichever
    # door brought it in; the model reads it back.
    from django.db import connection

    r = row("J-1", **{"事项类别": "检举控告类", "主要内容": "某局干部收受好处费两万元",
                      "被反映单位": HOUSING})
    call_command("import", str(write(tmp_path, [r])))
    m = Matter.objects.get(number="J-1")
    assert m.content == "某局干部收受好处费两万元" and m.title == "小区物业费上涨"
    with connection.cursor() as cur:
        cur.execute("SELECT title, content FROM petitions_matter WHERE number = %s", ["J-1"])
        raw_title, raw = cur.fetchone()
        cur.execute("SELECT note, data FROM petitions_event WHERE matter_id = %s", [m.pk])
        raw_events = cur.fetchall()
    assert "好处费" not in raw and "物业" not in raw_title
    # Its timeline's note and data are sealed too (they name the file and the line).
    assert raw_events and all("old.csv" not in str(d) and "历史数据导入" not in n
                              for n, d in raw_events)
    ev = m.events.get()
    assert ev.note.startswith("历史数据导入") and ev.data["imported"] == "old.csv"
    # An ordinary matter of the same file is not sealed; a report sent on long ago, whose
    # 转送 deadline was overdue before the move, has its settled 督办 note sealed too.
    late = row("J-3", **{"事项类别": "检举控告类", "被反映单位": HOUSING, "信访日期": "2026-01-05",
                         "责任单位": "安平县市场监督管理局", "转送日期": "2026-01-07",
                         "办理状态": "已转送"})
    call_command("import", str(write(tmp_path, [row("J-2"), late], name="more.csv")))
    with connection.cursor() as cur:
        cur.execute("SELECT content FROM petitions_matter WHERE number = %s", ["J-2"])
        assert cur.fetchone()[0] == "物业公司未经业主大会同意上调物业费"
        cur.execute("SELECT s.note FROM petitions_supervision s JOIN petitions_matter m "
                    "ON m.id = s.matter_id WHERE m.number = %s", ["J-3"])
        raw_notes = [n for (n,) in cur.fetchall()]
    assert raw_notes and all("超期" not in n for n in raw_notes)
    assert "已超期" in Supervision.objects.get(matter__number="J-3").note


def test_parallel_writers_write_each_batch_once_and_a_failed_batch_not_at_all(
        transactional_db, county, frozen, tmp_path, monkeypatch):
    # PostgreSQL: two forked writers, each with its own connection and every other batch
    # (SQLite writes alone: the same command runs in one process). A failing batch stops
    # the import; what it began is rolled back, and running the command again completes it.
    from django.db import connection

    from xinfang.petitions.history import load

    path = write(tmp_path, [row(f"P-{i}") for i in range(9)])
    real = load.audit.record

    def third_batch_fails(*args, **kw):
        if kw.get("data", {}).get("batch") == 3:
            raise RuntimeError("disk full")
        return real(*args, **kw)

    monkeypatch.setattr(load.audit, "record", third_batch_fails)
    with pytest.raises((CommandError, RuntimeError), match="disk full"):
        call_command("import", str(path), batch=2, workers=2)
    assert not Matter.objects.filter(number__in=["P-4", "P-5"]).exists()
    monkeypatch.setattr(load.audit, "record", real)
    out = StringIO()
    call_command("import", str(path), batch=2, workers=2, stdout=out)
    report = json.loads(out.getvalue().splitlines()[-1])
    assert report["workers"] == (2 if connection.vendor == "postgresql" else 1)
    assert sorted(Matter.objects.values_list("number", flat=True)) == [f"P-{i}" for i in range(9)]
    assert Event.objects.filter(action="register").count() == 9
    assert report["written"] + report["skipped_existing"] == 9
    call_command("import", str(path), batch=2, workers=2)
    assert Matter.objects.count() == 9
    assert verify().ok


def test_a_bulk_load_lets_the_planner_see_the_tables_grow(transactional_db, county, frozen,
                                                           tmp_path):
    # PostgreSQL plans the scope triggers' statements once per connection; planned while the
    # tables looked empty, the dispatch trigger found its matter by scanning the whole matter
    # table, for every dispatch (a 1M load crawled at 350 matters/s where autovacuum is off).
    # Each batch analyses a table it has doubled, so the load does not wait on autovacuum.
    from django.db import connection

    from xinfang.petitions.history import bulk

    if connection.vendor == "postgresql":
        # A new county's tables, as the load meets them: the suite's clean-up between
        # transactional tests DELETEs (tests/conftest.py), which leaves an earlier test's pages
        # and statistics behind; TRUNCATE gives the tables their fresh files back.
        with connection.cursor() as cur:
            cur.execute("TRUNCATE petitions_matter, petitions_dispatch CASCADE")
    path = write(tmp_path, [row(f"A-{i}", 责任单位=HOUSING, 转送日期="2026-05-07",
                                办理状态="已转送") for i in range(6)])
    call_command("import", str(path), batch=3, workers=1)
    assert Matter.objects.count() == 6
    if connection.vendor != "postgresql":
        assert bulk.analyze_grown([Matter]) == []  # SQLite plans each statement as it runs
        return
    with connection.cursor() as cur:
        cur.execute("SELECT relname, reltuples FROM pg_class WHERE relname = ANY(%s)",
                    [["petitions_matter", "petitions_dispatch"]])
        seen = dict(cur.fetchall())
    assert seen["petitions_matter"] > 0 and seen["petitions_dispatch"] > 0  # -1: never
    assert bulk.analyze_grown([Matter]) == []  # analysed: nothing has doubled since


def varied(prefix: str, n: int, seed: int) -> list[dict[str, str]]:
    """``n`` rows over two years in every state, channel and rating, some collective."""
    import random
    from datetime import timedelta

    rnd = random.Random(seed)
    states = ("待处置", "已转送", "办理中", "已答复", "已办结", "已办结")
    out = []
    for i in range(n):
        received = date(2024, 6, 1) + timedelta(days=rnd.randrange(700))
        steps = rnd.randrange(len(states))
        d = received + timedelta(days=rnd.randrange(1, 6))
        a = d + timedelta(days=rnd.randrange(1, 20))
        r = a + timedelta(days=rnd.randrange(5, 80))
        if r >= date(2026, 6, 14):
            steps = min(steps, 2)
        if a >= date(2026, 6, 14):
            steps = min(steps, 1)
        if d >= date(2026, 6, 14):
            steps = 0
        kw = {"信访日期": received.isoformat(), "办理状态": states[steps],
              "信访形式": ("来信", "来访", "网上信访")[rnd.randrange(3)],
              "联系电话": f"138{rnd.randrange(10**8):08d}", "人数": "1", "是否集体访": ""}
        if steps >= 1:
            kw.update({"责任单位": HOUSING, "转送日期": d.isoformat()})
        if steps >= 2:
            kw["受理日期"] = a.isoformat()
        if steps >= 3:
            kw.update({"答复日期": r.isoformat(), "办理结果": "解释说明",
                       "满意度": ("满意", "基本满意", "不满意", "")[rnd.randrange(4)]})
        if rnd.random() < 0.1:
            kw.update({"人数": str(rnd.randrange(5, 30)), "是否集体访": "是"})
        out.append(row(f"{prefix}-{i}", **kw))
    return out


@pytest.mark.parametrize("copy_from", [2000, 1])
def test_the_imports_counters_are_what_a_rebuild_computes(county, frozen, tmp_path, monkeypatch,
                                                          copy_from):
    # The import adds each batch's counter rows in one upsert (on PostgreSQL a large delta
    # goes through COPY into a temporary table: copy_from=1 takes that path for every batch)
    # and writes each matter's snapshot: after it, `rebuild-aggregates --verify` finds every
    # day and month counter and every snapshot as a rebuild from the matters computes them.
    # Two imports of the same day's history add to the same counter rows (the second file's
    # batches meet the first's keys: the upsert's update path).
    from xinfang.domain import tally as dt
    from xinfang.petitions import tally
    from xinfang.petitions.models import Tally, TallyMonth, TallySnapshot
    from xinfang.practice import aggregates

    monkeypatch.setattr(tally, "COPY_FROM", copy_from)
    call_command("import", str(write(tmp_path, varied("A", 60, 3), "a.csv")), batch=25)
    call_command("import", str(write(tmp_path, varied("B", 60, 5), "b.csv")), batch=25)
    imported = Matter.objects.count()
    assert imported == 120
    assert TallySnapshot.objects.count() == imported
    kept = {(t.metric, t.day, t.division_id, t.body_id, t.accused_id, t.exempt, t.bucket,
             t.dim): (t.n, t.persons) for t in Tally.objects.all()}
    # Real figures: every matter is in the intake and the census, once each.
    assert sum(n for k, (n, _p) in kept.items() if k[0] == dt.INTAKE and k[3] == 0) == imported
    assert sum(n for k, (n, _p) in kept.items() if k[0] == dt.CENSUS and k[3] == 0) == imported
    r = aggregates.verify()
    assert (r.different, r.month_different, r.snapshots_off) == (0, 0, 0), r.differences
    assert r.matters == imported and TallyMonth.objects.exists()
    out = StringIO()
    call_command("rebuild-aggregates", "--verify", stdout=out)
    call_command("rebuild-aggregates")
    assert {(t.metric, t.day, t.division_id, t.body_id, t.accused_id, t.exempt, t.bucket,
             t.dim): (t.n, t.persons) for t in Tally.objects.exclude(n=0, persons=0)} == {
        k: v for k, v in kept.items() if v != (0, 0)}

"""The one indicator module (issue 17 item 1): every figure equals its drill-down, and the
dashboard, the search and the supervision page give one overdue count per unit."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import pytest
import time_machine
from django.urls import reverse

from tests.conftest import sh
from tests.scenario import advance, register
from xinfang.domain import indicators as ind
from xinfang.petitions import clocks, services, tally
from xinfang.petitions.models import Clock, Matter
from xinfang.practice import aggregates, drilldown
from xinfang.practice import indicators as I
from xinfang.practice.models import Case, Exemption
from xinfang.practice.services import assessment

# One county for the module, a deep copy per test (tests/conftest.py module_db).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("module_county")]

TODAY = sh(2026, 3, 20)
FEB = dict(year=2026, month=2)


def _phone(i: int) -> str:
    return f"1390000{i:04d}"


def _reg(county, when, i, **kw):
    return register(county, when, phone=_phone(i), id_number="", **kw)


def _at(when, fn, *a, **kw):
    with time_machine.travel(when, tick=False):
        clocks.invalidate()
        return fn(*a, **kw)


def _dataset(county):
    """Matters of every kind a February figure counts, built through the services."""
    ms: dict[str, Matter] = {}
    # D1 (§22): dispatched on time, dispatched late, never dispatched.
    ms["d1_on_time"] = _at(sh(2026, 2, 2), _reg, county, sh(2026, 2, 2), 1)
    _at(sh(2026, 2, 5), advance, county, ms["d1_on_time"], "dispatched")
    ms["d1_late"] = _at(sh(2026, 1, 20), _reg, county, sh(2026, 1, 20), 2)
    _at(sh(2026, 2, 10), advance, county, ms["d1_late"], "handling")
    ms["d1_missed"] = _at(sh(2026, 2, 3), _reg, county, sh(2026, 2, 3), 3)
    # D6 (§34): accepted in December, due in February: replied on time, late, not at all.
    for i, key in enumerate(("reply_on_time", "reply_late", "reply_missed", "reply_rated_ok",
                             "reply_rated_bad")):
        m = _at(sh(2025, 12, 1), _reg, county, sh(2025, 12, 1), 10 + i)
        ms[key] = _at(sh(2025, 12, 5), advance, county, m, "handling")
    for key, day in (("reply_on_time", 2), ("reply_rated_ok", 1), ("reply_rated_bad", 1)):
        ms[key] = _at(sh(2026, 2, day), advance, county, ms[key], "replied")
    ms["reply_late"] = _at(sh(2026, 2, 25), advance, county, ms["reply_late"], "replied")
    for key, rating in (("reply_rated_ok", "basic"), ("reply_rated_bad", "unsatisfied")):
        name = "rate_unsatisfied" if rating == "unsatisfied" else "rate_satisfied"
        _at(sh(2026, 2, 10), services.transition, ms[key], name, citizen=True,
            data={"rating": rating, "xinfang_rating": "satisfied"})
    # Repeats (by matter) and a level-skipping group visit.
    ms["first"] = _at(sh(2026, 2, 6), _reg, county, sh(2026, 2, 6), 30, headcount=3)
    ms["repeat"] = _at(sh(2026, 2, 16), _reg, county, sh(2026, 2, 16), 30, headcount=4)
    assert ms["repeat"].repeat_kind == "repeat"
    Matter.objects.filter(pk=ms["first"].pk).update(level_skip=True)
    tally.refresh(ms["first"].pk)  # written directly here: the counters are told, as by a service
    # 初信初访: concluded in February, one then repeated (above: "first" is not concluded).
    ms["mediated"] = _at(sh(2026, 1, 5), _reg, county, sh(2026, 1, 5), 40)
    ms["mediated"] = _at(sh(2026, 2, 12), advance, county, ms["mediated"], "closed")
    ms["mediated_repeated"] = _at(sh(2026, 1, 6), _reg, county, sh(2026, 1, 6), 41)
    ms["mediated_repeated"] = _at(sh(2026, 2, 13), advance, county, ms["mediated_repeated"],
                                  "closed")
    _at(sh(2026, 2, 20), _reg, county, sh(2026, 2, 20), 41)  # the same petitioner again
    # 包案 and 积案: resolved, not resolved, still open.
    u = county.users
    for key, kind, closed, resolved in (("case_ok", "ownership", sh(2026, 2, 20), True),
                                        ("case_no", "ownership", sh(2026, 2, 21), False),
                                        ("case_open", "ownership", None, None),
                                        ("backlog_ok", "backlog", sh(2026, 2, 25), True),
                                        ("backlog_open", "backlog", None, None)):
        m = ms["d1_missed"] if "open" in key else ms["reply_on_time"]
        Case.objects.create(matter=m if kind == "ownership" or "open" in key else ms["first"],
                            kind=kind, task="化解", leader=u["leader"], handler=u["handler"],
                            due_on=date(2026, 4, 1), division_path=m.division_path,
                            created_at=sh(2026, 1, 15), closed_at=closed, resolved=resolved,
                            status="closed" if closed else "open")
    # 三色交办: the feedback clocks of a graded 交办.
    m = ms["d1_on_time"]
    for code, due, met in (("G_GREEN", date(2026, 2, 6), date(2026, 2, 6)),
                           ("G_YELLOW", date(2026, 2, 8), date(2026, 2, 9)),
                           ("G_RED", date(2026, 2, 12), None)):
        Clock.objects.create(matter=m, code=code, name=code, body=county.dept("住建"),
                             started_on=due - timedelta(days=3), due_on=due, unextended_on=due,
                             met_on=met)
    tally.refresh(m.pk)
    return ms


def test_every_figure_equals_its_drill_down(county):
    _dataset(county)
    with time_machine.travel(TODAY, tick=False):
        clocks.invalidate()
        scope, period = I.Scope.for_division(county.county), I.Period.month(**FEB)
        seen_nonzero = set()
        for code, d in I.REGISTRY.items():
            f = I.figure(code, scope, period)
            # The counters the services keep say what the rows say.
            from_rows = I.figure_from_rows(code, scope, period)
            assert (f.parts, f.persons) == (from_rows.parts, from_rows.persons), code
            rows = drilldown.drill(code, scope, period, d.buckets)
            assert dict(Counter(r.bucket for r in rows)) == {k: v for k, v in f.parts.items()
                                                             if v}, code
            assert len(drilldown.drill(code, scope, period)) == f.denominator, code
            assert len(drilldown.drill(code, scope, period, d.numerator)) == f.numerator, code
            assert drilldown.drill_matters(code, scope, period, d.numerator).count() <= f.numerator
            if d.persons:
                assert f.persons == sum(r.facts[d.persons]
                                        for r in drilldown.drill(code, scope, period, d.numerator))
            if f.denominator:
                seen_nonzero.add(code)
        # The data set exercises every figure (a figure of 0/0 would agree vacuously).
        assert seen_nonzero == set(I.REGISTRY)
        assert aggregates.verify().different == 0


def test_figures_count_what_the_definitions_say(county):
    ms = _dataset(county)
    with time_machine.travel(TODAY, tick=False):
        clocks.invalidate()
        scope, period = I.Scope.for_division(county.county), I.Period.month(**FEB)
        f = {c: I.figure(c, scope, period) for c in I.REGISTRY}
    # §22 D1 and §23 ¶3 D3 falling due in February (the Spring Festival moves the 15th day):
    # on time — D1 of d1_on_time, D3 of d1_late, mediated, mediated_repeated; late — D1 of
    # d1_late (dispatched on the 21st day); missed — D1 of d1_missed and first, D3 of
    # d1_on_time (its unit never signed).
    acc = f["timely_acceptance"].parts
    assert (acc["on_time"], acc["late"], acc["missed"]) == (4, 1, 3)
    reply = f["on_time_reply"].parts
    assert (reply["on_time"], reply["late"], reply["missed"]) == (3, 1, 1)
    # 11号 scope: two rated; one unrated past its 30-day window; the reply of 25 February is
    # still inside its window and not counted yet.
    assert f["participation_handling"].parts == {"rated": 2, "unrated": 1}
    assert f["satisfaction_handling"].text == "50.0%（1/2）"
    # The second target (the 信访部门): both rated it 满意 with their answer.
    assert f["participation_xinfang"].parts == {"rated": 2, "unrated": 1}
    assert f["satisfaction_xinfang"].text == "100.0%（2/2）"
    # Repeats by matter: 2 of the February registrations (件次), 4 + 1 people (人次).
    assert f["repeat"].numerator == 2 and f["repeat"].persons == 5
    assert f["level_skip"].numerator == 1
    assert f["first_resolution"].parts == {"yes": 1, "no": 1}
    assert f["case_resolution"].text == "33.3%（1/3）"
    assert f["backlog_resolution"].text == "50.0%（1/2）"
    assert [f[f"graded_{g}"].parts["on_time"] for g in ("green", "yellow", "red")] == [1, 0, 0]
    # An exempted matter (不纳入考核) leaves the assessed figures, not the overdue count.
    assessment.exempt(ms["d1_missed"], user=county.users["supervisor"], reason="duplicate_entry",
                      note="误登")
    with time_machine.travel(TODAY, tick=False):
        assert I.figure("timely_acceptance", scope, period).parts["missed"] == 2  # was 3
        assert ms["d1_missed"].pk in {r.matter_id for r in drilldown.drill(
            "overdue", scope, I.Period(period.start, period.end, TODAY.date()), ("yes",))}


def test_overdue_is_one_count_on_dashboard_search_and_supervision(county, login):
    ms = _dataset(county)
    with time_machine.travel(TODAY, tick=False):
        clocks.invalidate()
        leader = county.users["leader"]
        c = login(leader)
        dash = c.get(reverse("dashboard_data")).json()["overdue_by_unit"]
        assert dash, "the data set has overdue matters"
        page = c.get(reverse("supervision"))
        groups = {(g.body.pk if g.body else None): g.overdue for g in page.context["groups"]}
        for row in dash:
            search = c.get(reverse("search"), {"acting": row["unit_id"], "overdue": "on"})
            assert search.status_code == 200
            assert not search.context["has_next"]
            assert len(search.context["rows"]) == row["count"], row
            assert groups.get(row["unit_id"]) == row["count"], row
        assert sum(r["count"] for r in dash) == sum(groups.values())
        # The 信访局's own never-dispatched matter is attributed to it (it has to act now).
        xf = next(r for r in dash if r["unit_id"] == county.xinfang.pk)
        assert xf["count"] >= 1 and ms["d1_missed"].queue_body == county.xinfang.pk


def test_near_twelve_months_means_the_last_twelve_months():
    assert ind.last_twelve_months(date(2026, 12, 7)) == (date(2025, 12, 8), date(2026, 12, 7))
    assert ind.last_twelve_months(date(2028, 2, 29)) == (date(2027, 3, 1), date(2028, 2, 29))


def test_evaluation_scope_follows_the_2022_rule():
    base = dict(channel="visit", klass="appeal", legal_litigation=False, route31=6,
                closure_kind="", confidential=False)
    assert ind.evaluation_scope_exclusion(ind.EvaluationFacts(**base)) is None
    for change in ({"channel": "superior"}, {"legal_litigation": True}, {"route31": 1},
                   {"route31": 4}, {"closure_kind": "channelled"}, {"klass": "report"},
                   {"confidential": True}):
        assert ind.evaluation_scope_exclusion(ind.EvaluationFacts(**{**base, **change}))


def test_pages_and_api_show_the_figures_and_their_drill_downs(county, login):
    _dataset(county)
    with time_machine.travel(TODAY, tick=False):
        clocks.invalidate()
        c = login("leader")
        page = c.get(reverse("indicators"), {"period": "2026-02"})
        assert page.status_code == 200 and "及时受理率" in page.content.decode()
        drill = c.get(reverse("indicator_drill", args=["timely_acceptance"]),
                      {"period": "2026-02", "bucket": "missed"})
        assert drill.context["total"] == 3 and len(drill.context["rows"]) == 3
        api = c.get("/api/v1/indicators/timely_acceptance", {"period": "2026-02",
                                                             "bucket": "missed"}).json()
        assert api["count"] == api["figure"]["parts"]["missed"] == 3
        listed = c.get("/api/v1/indicators", {"period": "2026-02"}).json()["figures"]
        assert {f["code"] for f in listed} == set(I.REGISTRY)
        assert c.get(reverse("indicators"), {"period": "2026-13"}).status_code == 400
        assert c.get("/api/v1/indicators", {"period": "x"}).status_code == 400
        assert login("handler").get(reverse("indicators")).status_code == 403


def test_only_a_supervisor_exempts_a_matter_for_a_listed_reason_and_it_is_audited(county, login):
    from xinfang.audit.models import AuditLog

    ms = _dataset(county)
    number = ms["d1_missed"].number
    with time_machine.travel(TODAY, tick=False):
        clocks.invalidate()
        url = reverse("indicator_exemptions")
        assert login("officer").post(url, {"number": number, "reason": "duplicate_entry",
                                           "note": "x"}).status_code == 403
        c = login("supervisor")
        r = c.post(url, {"number": number, "reason": "because", "note": "x"})
        assert r.status_code == 409 and "规定的理由" in r.content.decode()
        assert c.post(url, {"number": number, "reason": "duplicate_entry",
                            "note": "与另一件重复登记"}).status_code == 302
        e = Exemption.objects.get(matter=ms["d1_missed"])
        assert AuditLog.objects.filter(action="exempt_from_assessment",
                                       object_id=str(e.pk)).exists()
        assert "与另一件重复登记" in c.get(url).content.decode()
        scope, period = I.Scope.for_division(county.county), I.Period.month(**FEB)
        assert I.figure("timely_acceptance", scope, period).parts["missed"] == 2
        assert c.post(url, {"revoke": e.pk, "note": "核实非重复"}).status_code == 302
        assert I.figure("timely_acceptance", scope, period).parts["missed"] == 3

"""Demo data for the practice mechanisms of one county (called by the demo seeder).

``seed_practice(county, today)`` goes through the services, so every row has its audit entry
and every matter its statutory clocks. ``today`` must be the date the services see
(``clocks.today()``); the demo seeds at the real date.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from xinfang.demo.county import DEMO_PASSWORD, County
from xinfang.domain import states as st
from xinfang.org.models import User
from xinfang.petitions import services as ps
from xinfang.petitions.services import PetitionerIn, Registration

from . import services as svc
from .models import ReceptionSlot


def _at(d: date, hour: int = 10) -> datetime:
    """``hour`` o'clock on ``d``, but never later than now (a matter received today before 10
    o'clock must not be received in the future)."""
    at = datetime(d.year, d.month, d.day, hour, tzinfo=ZoneInfo(settings.TIME_ZONE))
    return min(at, timezone.now())


def _leader(username: str, name: str, body: object, title: str) -> User:
    u = User.objects.filter(username=username).first()
    if u is None:
        u = User(username=username, display_name=name, role=st.Role.LEADER.value, body=body,
                 title=title)
        u.set_password(DEMO_PASSWORD)
        u.save()
    return u


def _reg(county: County, when: date, title: str, request: str, name: str, phone: str,
         village: int = 0, category: str = "CX01") -> Registration:
    return Registration(
        channel="visit", title=title, request=request, content=request,
        division=county.villages[village % len(county.villages)], received_at=_at(when),
        category=county.categories.get(category),
        petitioners=[PetitionerIn(name=name, phone=phone)])


def seed_practice(county: County, today: date) -> dict[str, int]:
    u = county.users
    officer, leader, supervisor = u["officer"], u["leader"], u["supervisor"]
    handler, head = u["handler"], u["unit_head"]
    zj = county.dept("住建")
    counts: dict[str, int] = {}

    # --- leaders and configuration (§8.1)
    principal = User.objects.filter(username="lingdao2").first() or _leader(
        "lingdao_shuji", "林书记", county.gov, "县委副书记")
    deputy = _leader("lingdao_zhou", "周副县长", county.gov, "副县长")
    town_leader = _leader("zhenzhang", "郑镇长", county.township_govs[0], "镇长")
    svc.set_leader_profile(principal, user=officer, is_principal=True)
    svc.set_leader_profile(leader, user=officer)
    svc.set_leader_profile(deputy, user=officer)
    svc.set_leader_profile(town_leader, user=officer)
    since = (today.replace(day=1) - timedelta(days=62)).replace(day=1)
    svc.configure(county.county, user=officer, fixed_monthly_day=15, screening_since=since)

    # --- schedule: proposed, published; past days held except the deputy's (he is behind)
    slots = svc.propose_schedule(county.county, today - timedelta(days=28),
                                 today + timedelta(days=28), user=officer,
                                 topics="群众反映的各类问题")
    svc.publish_slots(slots, user=officer)
    for s in slots:
        if s.day < today and s.leader_id != deputy.pk:
            svc.mark_held(s, user=officer, no_visitors=True,
                          room_log=f"接待室登记簿：{s.day:%m月%d日}无群众来访")
    # A 下访 about nine days ahead, on the first day the rota left free for this leader.
    field_day = today + timedelta(days=9)
    while ReceptionSlot.objects.filter(leader=leader, day=field_day).exists():
        field_day += timedelta(days=1)
    svc.add_slot(leader, field_day, user=officer,
                 kind=ReceptionSlot.Kind.FIELD, place="青石乡青石村村委会",
                 topics="农村饮水安全工程", publish=True)
    counts["slots"] = ReceptionSlot.objects.filter(division_path__startswith=county.county.path).count()

    # --- pre-registrations for the leader's next published day
    upcoming = (ReceptionSlot.objects.filter(leader=leader, day__gte=today,
                                             status=ReceptionSlot.Status.PUBLISHED)
                .order_by("day").first())
    if upcoming is not None:
        people = [("王大明", "13800138001", "小区物业乱收停车费", "请求退还多收的停车费"),
                  ("李秀英", "13800138002", "孩子入学学位问题", "请求协调就近入学"),
                  ("赵建国", "13800138003", "拖欠农民工工资", "请求督促工程公司支付工资")]
        for i, (name, phone, title, request) in enumerate(people):
            p = svc.preregister(upcoming, name=name, phone=phone, title=title, request=request,
                                division=county.villages[i % len(county.villages)])
            if i == 0:
                svc.triage(p, user=officer, decision="accept", note="安排陈县长接谈")
        counts["preregistrations"] = len(people)

    # --- visits on the leader's last held day: one item open, one done and reported
    held = (ReceptionSlot.objects.filter(leader=leader, status=ReceptionSlot.Status.HELD)
            .order_by("-day").first())
    if held is not None:
        v1 = svc.record_visit(held, leader=leader, talk="来访人反映小区电梯长期停运，物业推诿。",
                              registration=_reg(county, held.day, "小区电梯长期停运",
                                                "请求督促物业修复电梯", "孙立群", "13900139001"))
        svc.assign_on_the_spot(v1, leader=leader, to_body=zj,
                               report_due=today + timedelta(days=10), grade="yellow",
                               instructions="请住建局三日内约谈物业公司，十日内报结果")
        v2 = svc.record_visit(held, leader=leader, talk="来访人反映公租房分配不公。",
                              registration=_reg(county, held.day, "公租房分配公示有误",
                                                "请求重新核查公示名单", "钱芳", "13900139002",
                                                village=1, category="CX02"))
        svc.assign_on_the_spot(v2, leader=leader, to_body=zj,
                               report_due=today + timedelta(days=5), grade="green")
        m = ps.transition(v2.matter, "sign", user=handler)
        m = ps.transition(m, "accept", user=handler, data={"route": "按§31（六）办理"})
        m = ps.transition(m, "reply", user=handler, data={
            "outcome": "supported", "facts": "公示名单录入错误属实", "opinion": "已更正并重新公示",
            "legal_basis": "《公共租赁住房管理办法》", "served_on": today.isoformat(),
            "service_method": "当面"})
        ps.submit_report(m, user=handler, text="已更正公示名单，当面答复信访人，信访人表示满意。")
        counts["visits"] = 2

    # --- 包案 with milestones, and a backlog case under listed supervision (§8.2). Held by the
    # county government, like the visitors' matters (one numbering sequence per holder).
    m1 = ps.register(_reg(county, today - timedelta(days=20), "征地补偿款分配争议",
                          "请求按标准发放征地补偿款", "周德顺", "13700137001", village=2,
                          category="CX03"), holder=county.gov, user=u["gov_officer"])
    c1 = svc.open_case(m1, user=officer, task="查清补偿款分配情况并化解", leader=leader,
                       handler=handler, due_on=today + timedelta(days=40),
                       plan="一查账目、二开协调会、三依法答复", team=[head])
    svc.record_milestone(c1, "investigate", user=handler, evidence="调取村组账目，走访当事人5人",
                         on=today - timedelta(days=10))
    svc.record_milestone(c1, "educate", user=leader, evidence="包案领导当面释法明理",
                         on=today - timedelta(days=3))
    m2 = ps.register(_reg(county, today - timedelta(days=130), "企业改制职工社保接续",
                          "请求补缴改制期间社保", "吴国华", "13700137002", village=3,
                          category="LD02"), holder=county.gov, user=u["gov_officer"])
    c2 = svc.promote_backlog(m2, user=officer, leader=principal, handler=u["other_handler"],
                             due_on=today + timedelta(days=60),
                             plan="县人社局牵头，财政局配合，分类测算补缴方案")
    svc.list_for_supervision(c2, user=supervisor, note="列为县级挂牌督办积案，每半月报告进展")
    counts["cases"] = 2

    # --- screening ledger (§8.9): the last village has not screened this half-month
    towns = county.townships
    villages = county.villages
    d = since
    while d < today:
        for v in villages[:-1]:
            svc.record_screening(v, user=officer, on=min(d + timedelta(days=2), today),
                                 note="入户走访排查")
        if d.day == 1:
            for t in towns:
                svc.record_screening(t, user=officer, on=min(d + timedelta(days=5), today),
                                     note="乡镇月度排查")
        d = (d.replace(day=16) if d.day == 1
             else (d.replace(day=28) + timedelta(days=4)).replace(day=1))
    r = svc.record_screening(villages[0], user=officer, on=today, note="本期排查")
    e1 = svc.add_dispute(villages[0], user=officer, round=r, title="相邻宅基地边界纠纷",
                         parties="张某、李某", risk_grade="medium", responsible=u["town_handler"],
                         measures="村调委会组织现场勘界")
    svc.resolve_dispute(e1, user=officer, resolution="双方认可勘界结果",
                        mediation_kind="people", agreement="以现有围墙为界，互不越界")
    svc.add_dispute(villages[0], user=officer, round=r, title="养殖场异味扰民",
                    parties="东门社区居民约20户；某养殖场", risk_grade="high",
                    responsible_body=county.departments.get("环境") or county.dept("城管"), measures="环境局监测，限期整改")
    e3 = svc.add_dispute(villages[1 % len(villages)], user=officer, title="村道硬化占地补偿",
                         parties="村民刘某等3户", risk_grade="low",
                         responsible=u["town_handler"])
    mc = svc.convert_dispute(e3, user=u["gov_officer"], holder=county.gov, registration=_reg(
        county, today, "村道硬化占地未补偿", "请求给予占地补偿", "刘长根", "13600136001",
        village=1, category="JT01"))
    counts["disputes"] = 3

    # --- 稳评 (§8.8) and a monthly analysis meeting with decisions
    a = svc.record_assessment(
        user=officer, project="城关镇老旧小区改造项目", division=towns[0], body=county.gov,
        assessed_on=today - timedelta(days=45), risks="停车位减少；施工噪声；费用分摊",
        grade="medium", measures="分期施工；听证确定分摊方案", decision="implement")
    svc.link_matter_to_assessment(a, mc, user=officer)
    svc.record_meeting(
        user=officer, kind="analysis", division=county.county, body=county.gov,
        held_on=today, title=f"{today.month}月信访形势分析研判会",
        minutes="通报积案化解进展，研判重点领域风险。",
        decisions=[svc.DecisionIn("住建局牵头开展物业服务专项整治", zj, today + timedelta(days=30)),
                   svc.DecisionIn("人社局一周内提出社保补缴测算方案", county.dept("人社"),
                                  today + timedelta(days=7))])
    counts["meetings"] = 1
    return counts

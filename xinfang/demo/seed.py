"""Seed the demo county with a year of matters driven through the real services.

Every matter is a *plan*: registration, then a list of steps (transition name, actor, days
after the previous step, data). All plans run in one chronological sequence under
time-machine, so every clock, 文书, event and audit row is what the services write on that
day; the deadline sweep runs once per simulated day (reminders, 督办, lapsed windows).
Steps that would fall after "now" are not taken: recent matters stay open.

A few *showcase* plans come first so a small seed still shows every state, every channel
and something in each demo user's queue.
"""

from __future__ import annotations

import heapq
import random
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any
from unittest import mock

import time_machine
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from xinfang.demo.county import DEMO_PASSWORD, County, build_county
from xinfang.domain import idcard
from xinfang.domain.errors import DomainError
from xinfang.org.models import Body, Division, RoutingRule, User
from xinfang.petitions import clocks, jobs, services
from xinfang.petitions.models import Channel, Dispatch, Matter
from xinfang.petitions.services import PetitionerIn, Registration

from .content import LEGAL_BASIS, REPORTS, Message, load_messages
from .plans import CHANNEL_WEIGHTS, Data, Plan, SeedResult, Step, redo_order
from .plans import rate as _rate
from .plans import review as _review

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "建国秀英桂兰志强海燕春梅明华丽娟玉兰国庆小红伟军红梅永强德明金凤淑珍文斌晓东春生雪梅家豪思远子涵浩然欣怡宇航俊杰美玲"
COMPANIES = ["某建材公司负责人", "某物业公司经理", "某劳务公司老板", "某养殖场业主", "某化工企业",
             "某食品作坊经营者", "某房地产开发公司", "某驾校负责人"]
OFFICIALS = ["某村党支部书记", "某村委会主任", "某站所所长", "某科科长", "某镇分管副镇长"]
SERVICE = ["当面", "邮寄", "短信", "网上"]
# The deadline sweep runs every third simulated day: with 临期 = three days' warning every
# clock is still seen once while near, and a year of history costs ~120 sweeps, not 365.
SWEEP_EVERY = 3



class Seeder:
    def __init__(self, county: County, *, rng_seed: int = 2026, now: datetime | None = None) -> None:
        self.c = county
        self.rng = random.Random(rng_seed)
        self.now = now or timezone.now()
        self.messages = load_messages()
        self.by_cat: dict[str, list[Message]] = {}
        for m in self.messages:
            self.by_cat.setdefault(m.category, []).append(m)
        self.users = list(User.objects.select_related("body"))
        self.handlers: dict[int, list[User]] = {}
        self.heads: dict[int, list[User]] = {}
        for u in self.users:
            if u.body_id and u.role == "handler":
                self.handlers.setdefault(u.body_id, []).append(u)
            if u.body_id and u.role == "unit_head":
                self.heads.setdefault(u.body_id, []).append(u)
        self.officers = [u for u in self.users if u.role == "officer" and u.body_id == county.xinfang.pk]
        self.registrars = [u for u in self.users
                           if u.role == "registrar" and u.body_id == county.xinfang.pk]
        self.rules: dict[tuple[str, str], Body] = {}
        for r in RoutingRule.objects.select_related("category", "body").order_by("-priority"):
            self.rules[(r.category.code, r.division_id)] = r.body
        self.people: list[PetitionerIn] = []

    # ------------------------------------------------------------------ helpers

    def pick(self, weighted: list[tuple[Any, int]]) -> Any:
        return self.rng.choices([v for v, _ in weighted], [w for _, w in weighted])[0]

    def person(self, village: Division) -> PetitionerIn:
        r = self.rng
        name = r.choice(SURNAMES) + "".join(r.sample(GIVEN, r.choice([1, 2])))
        born = date(1950, 1, 1) + timedelta(days=r.randrange(0, 365 * 52))
        id17 = f"990121{born:%Y%m%d}{r.randrange(0, 1000):03d}"
        phone = "1" + r.choice("3578") + f"{r.randrange(0, 10**9):09d}"
        town = village.parent.name if village.parent else ""
        p = PetitionerIn(name=name, id_number=idcard.make(id17), phone=phone,
                         address=f"安平县{town}{village.name}{r.randrange(1, 120)}号")
        self.people.append(p)
        return p

    def route(self, cat: str, division: Division) -> Body:
        town = division.parent_id if division.level == Division.Level.VILLAGE else division.code
        for key in ((cat, town), (cat, self.c.county.code), (cat[:2], self.c.county.code)):
            if key in self.rules:
                return self.rules[key]
        return self.c.dept("住建")

    def handler(self, body: Body) -> User:
        return self.rng.choice(self.handlers[body.pk])

    def officer(self, holder: Body) -> User:
        if holder.pk == self.c.gov.pk:
            return self.c.users["gov_officer"]
        return self.rng.choice(self.officers)

    def reviewer(self, body: Body) -> User:
        if body.pk == self.c.city_gov.pk:
            return self.c.users["city_officer"]
        if body.pk == self.c.gov.pk:
            return self.rng.choice([self.c.users["gov_officer"], self.c.users["gov_officer"],
                                    self.c.users["leader"]])
        heads = self.heads.get(body.pk) or [u for u in self.users
                                            if u.body_id == body.pk and u.role == "officer"]
        return self.rng.choice(heads)

    def message(self, cat: str | None = None) -> Message:
        pool = self.by_cat.get(cat or "") if cat else None
        return self.rng.choice(pool or self.messages)

    # ------------------------------------------------------------------ plans

    def registration(self, msg: Message, *, klass: str, channel: str, village: Division,
                     repeat_of: PetitionerIn | None = None, anonymous: bool = False,
                     accused_body: Body | None = None, accused_name: str = "") -> dict[str, Any]:
        r = self.rng
        cat = self.c.categories.get(msg.category)
        petitioners: list[PetitionerIn] = []
        headcount = 1
        if not anonymous:
            lead = repeat_of or self.person(village)
            petitioners = [lead]
            if channel == Channel.VISIT and r.random() < 0.25:
                reps = r.randint(2, 5)  # 多人走访推选代表，不超过5人 (§20 ¶3)
                petitioners = [lead, *(self.person(village) for _ in range(reps - 1))]
                for p in petitioners:
                    p.is_representative = True
                headcount = r.choice([6, 8, 12, 15, 20, 30, 45, 60])
            elif channel == Channel.LETTER and r.random() < 0.1:
                petitioners = [lead, *(self.person(village) for _ in range(r.randint(1, 3)))]
                headcount = len(petitioners)
        title = msg.title if repeat_of is None else f"再次反映：{msg.title}"[:120]
        request = {"suggestion": f"建议：{msg.title}",
                   "report": f"请求依纪依法调查处理：{msg.title}"}.get(
            klass, f"请求有关部门核实并解决：{msg.title}")
        reg: dict[str, Any] = dict(
            channel=channel, title=title, request=request, content=msg.content,
            division=village, klass=klass, category=cat, petitioners=petitioners,
            headcount=headcount, is_anonymous=anonymous, accused_body=accused_body,
            accused_name=accused_name, legal_litigation=msg.category == "ZF01",
            is_urgent=headcount >= 30, _msg=msg,
        )
        if channel == Channel.SUPERIOR:
            src = r.choice([("临江市信访局", "临信转"), ("东江省信访局", "东信转"),
                            ("临江市人民政府办公室", "临政办转")])
            reg["source_body_name"] = src[0]
            reg["source_doc_no"] = f"{src[1]}〔{self.now.year}〕{r.randint(10, 999)}号"
        return reg

    def plan(
        self, *, msg: Message | None = None, klass: str | None = None, channel: str | None = None,
        village: Division | None = None, holder: Body | None = None, route: str | None = None,
        objection: str | None = None, unit_end: str | None = None, handling_end: str | None = None,
        extension: str | None = None, after_reply: str | None = None, review_end: str | None = None,
        recheck: bool | None = None, hearing: bool | None = None, archive: bool | None = None,
        stop: str | None = None, repeat_of: Plan | None = None, showcase: str = "",
    ) -> Plan:
        """Build one matter's plan; every branch not fixed by an argument is drawn at random."""
        r, c = self.rng, self.c
        if repeat_of is not None:
            msg = repeat_of.reg["_msg"]
        msg = msg or self.message()
        if klass is None:
            if msg.category == "ZF01":
                klass = "appeal"
            elif msg.category.startswith("JJ"):
                klass = "report"
            elif "建议" in msg.title or r.random() < 0.08:
                klass = "suggestion"
            else:
                klass = "report" if r.random() < 0.06 else "appeal"
        if klass == "report" and r.random() < 0.5 and not msg.category.startswith("JJ"):
            msg = r.choice(REPORTS)
        channel = channel or self.pick(CHANNEL_WEIGHTS)
        village = village or r.choice(c.villages)
        # Only the 信访局 registers: services.matter_number keys its counter by body but
        # numbers by division, so two registering bodies of one county would collide.
        holder = holder or c.xinfang
        accused_body, accused_name = None, ""
        if klass == "report":
            if msg.category.startswith("JJ"):
                accused_body = r.choice([*c.township_govs, *c.departments.values()])
                accused_name = r.choice(OFFICIALS)
                route = route or "refer_discipline"
            else:
                accused_name = r.choice(COMPANIES)
        anonymous = klass == "report" and r.random() < 0.3 and repeat_of is None
        if anonymous:
            channel = Channel.ONLINE
        reg = self.registration(
            msg, klass=klass, channel=channel, village=village, anonymous=anonymous,
            repeat_of=repeat_of.reg["petitioners"][0] if repeat_of and repeat_of.reg["petitioners"] else None,
            accused_body=accused_body, accused_name=accused_name)
        online = channel in (Channel.ONLINE, Channel.QR)
        reg_user = None if online else (c.users["gov_officer"] if holder.pk == c.gov.pk
                                        else r.choice(self.registrars))
        officer = self.officer(holder)
        to = self.route(msg.category, village)
        if to.kind in (Body.Kind.DISCIPLINE, Body.Kind.POLITICAL_LEGAL) or (
                accused_body is not None and to.pk == accused_body.pk):
            to = self.route(msg.category[:2] + "01", village)
        if reg["legal_litigation"]:
            route = route or "refer_political_legal"
        route = route or self.pick([("forward", 80), ("assign", 12), ("inform_elsewhere", 4),
                                    ("not_accept", 4)])
        steps: list[Step] = []
        dispose_days = self.pick([(1, 30), (2, 25), (3, 15), (4, 10), (6, 8), (9, 6), (13, 4),
                                  (18, 2)])
        end_state = False
        if route == "refer_discipline":
            steps.append(Step(route, dispose_days, officer, data=lambda t: {"to_body": c.discipline.pk}))
            end_state = True
        elif route == "refer_political_legal":
            steps.append(Step(route, dispose_days, officer,
                              data=lambda t: {"to_body": c.political_legal.pk}))
            end_state = True
        elif route == "inform_elsewhere":
            steps.append(Step(route, dispose_days, officer, data=lambda t: {
                "competent_body_name": "临江市中级人民法院", "reason": "该事项属于诉讼程序处理范围"}))
            end_state = True
        elif route == "not_accept":
            steps.append(Step(route, dispose_days, officer, data=lambda t: {
                "reason_code": "N6", "reason": "应当通过劳动仲裁等法定途径解决（§31）",
                "route": "劳动人事争议仲裁"}))
            end_state = True
        else:
            dsteps, to, assist = self._dispatch_steps(route, to, officer, objection, village)
            steps += dsteps
            end_state = self._unit_steps(steps, klass, to, assist, reg, unit_end, handling_end, extension,
                                         after_reply, review_end, recheck, hearing)
        if end_state and (archive if archive is not None else r.random() < 0.3):
            steps.append(Step("archive", r.randint(60, 120), officer))
        if stop:
            idx = next((i for i, s in enumerate(steps) if s.kind == stop), len(steps))
            steps = steps[:idx]
        return Plan(reg, holder, reg_user, steps, showcase=showcase)

    def _dispatch_steps(self, route: str, to: Body, officer: User, objection: str | None,
                        village: Division) -> tuple[list[Step], Body, list[int]]:
        r, c = self.rng, self.c
        assist: list[int] = []
        if r.random() < 0.1:
            others = [b for b in c.departments.values() if b.pk != to.pk and self.handlers.get(b.pk)]
            assist = [r.choice(others).pk]

        def dispatch_data(body: Body) -> Data:
            def f(t: date) -> dict[str, Any]:
                d: dict[str, Any] = {"to_body": body.pk}
                if assist:
                    d["assist_bodies"] = assist
                if route == "assign":
                    d["report_due"] = (t + timedelta(days=r.choice([30, 45, 60]))).isoformat()
                    d["grade"] = r.choice(["", "green", "yellow", "red"])
                    d["instructions"] = "请依法依规办理，按期报送办结报告"
                return d
            return f

        dispose_days = self.pick([(1, 30), (2, 25), (3, 15), (4, 10), (6, 8), (9, 6), (13, 4),
                                  (18, 2)])
        steps = [Step(route, dispose_days, officer, data=dispatch_data(to))]
        objection = objection or ("none" if r.random() > 0.05 else r.choice(["uphold", "reject"]))
        if objection in ("uphold", "reject"):
            h = self.handler(to)
            steps.append(Step("object", r.randint(1, 3), h, data=lambda t: {
                "reason": "该事项不属于本单位职责范围", "competent_body_name": "属地乡镇人民政府"}))
            if objection == "uphold":
                steps.append(Step("uphold_objection", r.randint(1, 2), officer,
                                  data=lambda t: {"reason": "经核实，该事项属属地乡镇职责，同意退回"}))
                town = village.parent_id if village.level == Division.Level.VILLAGE else village.code
                alt = next((b for b in c.township_govs if b.division_id == town), c.township_govs[0])
                if alt.pk == to.pk or not self.handlers.get(alt.pk):
                    alt = c.dept("城管")
                steps.append(Step("forward", 0, officer, data=lambda t: {"to_body": alt.pk}))
                to = alt
            else:
                steps.append(Step("reject_objection", r.randint(1, 2), officer,
                                  data=lambda t: {"reason": "经研究，该事项属于贵单位职责范围，请依法办理"}))
        return steps, to, assist

    def _unit_steps(self, steps: list[Step], klass: str, to: Body, assist: list[int],
                    reg: dict[str, Any],
                    unit_end: str | None, handling_end: str | None, extension: str | None,
                    after_reply: str | None, review_end: str | None, recheck: bool | None,
                    hearing: bool | None) -> bool:
        """Steps of the receiving unit; True when the plan ends the matter."""
        r, c = self.rng, self.c
        h = self.handler(to)
        msg: Message = reg["_msg"]
        appeal = klass != "suggestion"
        steps.append(Step("sign", self.pick([(0, 30), (1, 40), (2, 20), (4, 10)]), h))
        # §23 ¶3: a unit that receives a 转送/交办 accepts it or objects (above); it never
        # refuses it itself.
        unit_end = unit_end or (self.pick([("accept", 95), ("channel", 5)])
                                if appeal else "accept")
        if unit_end == "channel":
            proc = r.choice([(1, "行政诉讼"), (2, "劳动人事争议仲裁"), (3, "行政复议"), (4, "行政裁决")])
            steps.append(Step("channel", r.randint(2, 8), h,
                              data=lambda t: {"route31": proc[0], "procedure": proc[1]}))
            return True
        route_txt = "按《信访工作条例》第三十一条第（六）项办理" if appeal else "按建议意见类事项办理（§29）"
        steps.append(Step("accept", self.pick([(0, 30), (1, 30), (3, 25), (6, 15)]), h,
                          data=lambda t: {"route": route_txt}))
        handling_end = handling_end or (self.pick([("reply", 95), ("mediate", 5)])
                                        if appeal else "reply")
        if assist:
            steps.append(Step("assist_reply", r.randint(5, 15),
                              self.rng.choice(self.handlers[assist[0]]),
                              data=lambda t: {"text": "经核查，我单位职责范围内的情况已核实，意见如下：同意主办单位处理意见。"}))
        if handling_end == "mediate":
            steps.append(Step("mediate", r.randint(10, 40), h, data=lambda t: {
                "agreement": "经调解，双方达成一致：相关费用于30日内退还，信访人表示满意",
                "agreement_kind": "mediation", "other_party": "被反映的物业服务企业",
                "consent": "both"}))
            return True
        heads = self.heads.get(to.pk)
        extension = extension or ("approve" if heads and r.random() < 0.08 else "none")
        if extension in ("approve", "reject") and heads:
            head = r.choice(heads)
            steps.append(Step("request_extension", r.randint(35, 48), h, data=lambda t: {
                "days": r.choice([15, 20, 30]), "reason": "案情复杂，需要进一步调查核实"}))
            # §34: the approval serves the 延期告知书 on the petitioner.
            steps.append(Step("approve_extension", r.randint(1, 3), head, data=lambda t: {
                "served_on": t.isoformat(), "service_method": "邮寄"})
                if extension == "approve" else Step("reject_extension", r.randint(1, 3), head))
            reply_days = r.randint(3, 20)
        else:
            reply_days = self.pick([(r.randint(8, 25), 40), (r.randint(25, 45), 35),
                                    (r.randint(45, 55), 10), (r.randint(55, 63), 15)])
        if klass == "report":  # §30: what the handling found
            outcome = self.pick([("substantiated", 30), ("partly_substantiated", 30),
                                 ("unsubstantiated", 40)])
        else:
            outcome = (self.pick([("supported", 25), ("partly_supported", 20),
                                  ("explained", 45), ("not_supported", 10)]) if appeal
                       else self.pick([("adopted", 30), ("partly_adopted", 30),
                                       ("not_adopted", 40)]))
        steps.append(self._reply(h, reply_days, outcome, msg))
        is_assign = [s.kind for s in steps if s.kind in ("forward", "assign")][-1] == "assign"
        if is_assign:
            steps.append(Step("submit_report", r.randint(0, 3), h, data=lambda t: {
                "text": "该交办事项已办理完毕，处理意见书已送达信访人，现报告如下：" + msg.title}))
        after_reply = after_reply or self.pick(
            [("satisfied", 55), ("unsatisfied", 7), ("review", 7 if klass == "appeal" else 0),
             ("none", 31)])
        if after_reply == "satisfied":
            steps.append(_rate(r.randint(1, 12), r.choice(["satisfied", "satisfied", "basic"])))
        elif after_reply == "unsatisfied":
            steps.append(Step("rate_unsatisfied", r.randint(2, 10), citizen=True, data=lambda t: {
                "rating": "unsatisfied", "comment": "问题没有得到实际解决"}))
            # The petitioner chooses the 重办 (practice); the §35 window stays open meanwhile.
            steps.append(Step("request_redo", r.randint(0, 3), citizen=True))
            steps.append(self._reply(h, r.randint(10, 25), {
                "appeal": "partly_supported", "report": "partly_substantiated"}.get(
                    klass, "partly_adopted"), msg))
            if r.random() < 0.6:
                steps.append(_rate(r.randint(1, 8), "basic"))
        elif after_reply == "review":
            reviewer = self.reviewer(to.parent or c.gov)
            steps.append(Step("request_review", r.randint(5, 25), citizen=True,
                              data=lambda t: {"reason": "对处理意见不服，请求复查"}))
            review_end = review_end or self.pick([("issue", 80), ("redo", 10), ("reject", 10)])
            if review_end == "reject":
                steps.append(Step("reject_review", r.randint(5, 15), reviewer, data=lambda t: {
                    "reason_code": "N9", "reason": "复查请求超出原处理意见范围"}))
                return True
            if review_end == "redo":
                # 鲁 §45: set aside, the unit answers again with a different opinion, which
                # the petitioner may take to 复查 once more (not seeded further).
                steps.append(redo_order(r.randint(10, 25), reviewer))
                redo = "supported" if outcome != "supported" else "partly_supported"
                steps.append(self._reply(h, r.randint(10, 25), redo, msg))
                return False
            steps.append(_review("issue_review", r.randint(10, 28), reviewer))
            if recheck if recheck is not None else r.random() < 0.4:
                city = self.c.users["city_officer"]
                steps.append(Step("request_recheck", r.randint(5, 20), citizen=True,
                                  data=lambda t: {"reason": "对复查意见仍不服，请求复核"}))
                if hearing if hearing is not None else r.random() < 0.3:
                    steps.append(Step("start_hearing", r.randint(3, 8), city,
                                      data=lambda t: {"hearing_requested_by": "petitioner",
                                                      "hearing_requested_on": t.isoformat(),
                                                      "hearing_on": t.isoformat()}))
                    steps.append(Step("end_hearing", r.randint(3, 8), city,
                                      data=lambda t: {"conclusion": "听证认为原处理意见事实清楚"}))
                steps.append(_review("issue_recheck", r.randint(5, 20), city))
                return True
        return False

    def _reply(self, h: User, days: int, outcome: str, msg: Message) -> Step:
        reply = msg.reply or (f"经调查核实，您反映的“{msg.title}”问题，我单位已会同属地乡镇进行了现场核查，"
                              "并依法依规作出处理。如对本处理意见不服，可自收到本意见书之日起30日内"
                              "向上一级机关申请复查。")
        basis = LEGAL_BASIS.get(msg.category[:2], "《信访工作条例》第三十二条")
        service = self.rng.choice(SERVICE)
        return Step("reply", days, h, data=lambda t: {
            "outcome": outcome, "facts": f"经调查，信访人反映的“{msg.title}”问题基本属实。",
            "opinion": reply, "legal_basis": basis, "served_on": t.isoformat(),
            "service_method": service})

    def showcase(self) -> list[tuple[Plan, float]]:
        """(plan, days between the last step and now): see demo/showcase.py."""
        from .showcase import showcase

        return showcase(self)


    # ------------------------------------------------------------------ run

    def build(self, n: int) -> list[Plan]:
        plans: list[Plan] = []
        for p, margin in self.showcase()[:n]:
            p.exact = True
            p.received_at = self.now - timedelta(days=p.span_days() + margin)
            plans.append(p)
        rest = n - len(plans)
        start = self.now - timedelta(days=365)
        times = sorted(start + timedelta(seconds=self.rng.uniform(0, 365 * 86400 - 3600))
                       for _ in range(rest))
        first = len(plans)
        for when in times:
            earlier = [p for p in plans[max(first, len(plans) - 300):] if p.reg["petitioners"]]
            repeat = self.rng.choice(earlier) if earlier and self.rng.random() < 0.1 else None
            p = self.plan(repeat_of=repeat)
            recent = (self.now - when).days
            if self.rng.random() < 0.08 and 15 < recent < 160:
                stall = self.pick([("forward", 1), ("sign", 3), ("reply", 6)])
                idx = next((i for i, s in enumerate(p.steps) if s.kind == stall), None)
                if idx is not None:
                    p.steps = p.steps[:idx]
                    p.steps.append(Step("supervise", self.rng.randint(20, 40),
                                        self.c.users["supervisor"], data=lambda t: {
                                            "note": "该事项办理超期，请于3日内报送办理情况"}))
            p.received_at = self._at(when)
            plans.append(p)
        return plans

    def _at(self, when: datetime) -> datetime:
        """Office hours for visits and calls; any time for online submissions."""
        local = timezone.localtime(when)
        h = self.rng.randint(8, 17)
        at = local.replace(hour=h, minute=self.rng.randint(0, 59), second=0, microsecond=0)
        return at if at < self.now else self.now - timedelta(minutes=self.rng.randint(5, 600))

    def run(self, plans: list[Plan], log: Callable[[str], None] = lambda s: None) -> SeedResult:
        res = SeedResult()
        t0 = time.monotonic()
        clocks.invalidate()
        heap: list[tuple[datetime, int, int]] = []
        for i, p in enumerate(plans):
            assert p.received_at is not None
            heapq.heappush(heap, (p.received_at, i, -1))
        sweep_day = timezone.localdate(min(p.received_at for p in plans if p.received_at))
        end = self.now
        with time_machine.travel(heap[0][0], tick=False) as tm:
            batch = transaction.atomic()
            batch.__enter__()
            done = 0
            try:
                while heap:
                    when, i, k = heapq.heappop(heap)
                    if when > end:
                        continue
                    day = timezone.localdate(when)
                    while sweep_day + timedelta(days=SWEEP_EVERY) <= day:
                        sweep_day += timedelta(days=SWEEP_EVERY)
                        tm.move_to(datetime.combine(sweep_day, datetime.min.time(),
                                                    tzinfo=when.tzinfo) + timedelta(minutes=30))
                        jobs.sweep(sweep_day)
                    tm.move_to(when)
                    ok = self._execute(plans[i], k, res)
                    done += 1
                    if done % 500 == 0:
                        batch.__exit__(None, None, None)
                        batch = transaction.atomic()
                        batch.__enter__()
                        log(f"  {done} steps, simulated {day}")
                    if ok and k + 1 < len(plans[i].steps):
                        nxt = self._next_time(when, plans[i].steps[k + 1].days, plans[i].exact)
                        heapq.heappush(heap, (nxt, i, k + 1))
                while sweep_day < timezone.localdate(end):
                    sweep_day += timedelta(days=1)
                    tm.move_to(datetime.combine(sweep_day, datetime.min.time(),
                                                tzinfo=end.tzinfo) + timedelta(minutes=30))
                    jobs.sweep(sweep_day)
            except BaseException as e:
                batch.__exit__(type(e), e, e.__traceback__)
                raise
            batch.__exit__(None, None, None)
        jobs.sweep()  # at the real "now": alerts and 督办 as a user will see them
        res.seconds = time.monotonic() - t0
        res.matters = sum(1 for p in plans if p.matter_id)
        for state, channel in Matter.objects.values_list("state", "channel"):
            res.states[state] += 1
            res.channels[channel] += 1
        return res

    def _next_time(self, prev: datetime, days: float, exact: bool = False) -> datetime:
        if days <= 0:
            return prev + timedelta(minutes=self.rng.randint(5, 90))
        if exact:
            return prev + timedelta(days=days)
        nxt = timezone.localtime(prev) + timedelta(days=days)
        return nxt.replace(hour=self.rng.randint(8, 17), minute=self.rng.randint(0, 59))

    def _execute(self, p: Plan, k: int, res: SeedResult) -> bool:
        res.steps += 1
        try:
            with transaction.atomic():
                if k < 0:
                    fields = {key: v for key, v in p.reg.items() if not key.startswith("_")}
                    reg = Registration(received_at=p.received_at, **fields)  # type: ignore[arg-type]
                    m = services.register(reg, holder=p.holder, user=p.reg_user,
                                          actor_label="" if p.reg_user else "信访人网上提交")
                    p.matter_id = m.pk
                    return True
                step = p.steps[k]
                # transition() re-reads the row under a lock; it only needs the primary key.
                m = Matter(pk=p.matter_id)
                data = step.data(clocks.today()) if step.data else {}
                data = {key: v for key, v in data.items() if not key.startswith("_")}
                if step.kind in ("submit_report", "supervise"):
                    m = Matter.objects.get(pk=p.matter_id)
                if step.kind == "assist_reply":
                    d = Dispatch.objects.filter(matter=m, role=Dispatch.Role.ASSIST).first()
                    if d is None:
                        return True
                    services.assist_reply(d, user=step.user, text=data["text"])  # type: ignore[arg-type]
                elif step.kind == "submit_report":
                    services.submit_report(m, user=step.user, text=data["text"])  # type: ignore[arg-type]
                elif step.kind == "supervise":
                    if m.state in {"final", "closed", "archived"}:
                        return True
                    services.supervise(m, user=step.user, note=data["note"])  # type: ignore[arg-type]
                else:
                    services.transition(m, step.kind, user=step.user, citizen=step.citizen,
                                         data=data)
            return True
        except DomainError as e:
            res.failed += 1
            res.errors[f"{p.steps[k].kind if k >= 0 else 'register'}: {e}"[:120]] += 1
            return False


def county_exists() -> bool:
    return Body.objects.filter(name="安平县信访局").exists()


def seed(matters: int = 3000, *, rng_seed: int = 2026, log: Callable[[str], None] = lambda s: None,
         now: datetime | None = None) -> SeedResult:
    """Build the demo county and ``matters`` matters. The database must be empty (the commands
    check it with :func:`xinfang.demo.guard.database_kind`); it is marked as the demo's first."""
    from .guard import claim

    t0 = time.monotonic()
    claim("seed")
    # ~45 demo accounts share one public password: hash it once (Argon2 costs ~0.4 s a go).
    hashed = make_password(DEMO_PASSWORD)
    with mock.patch("django.contrib.auth.base_user.make_password", lambda raw, *a, **k: hashed):
        county = build_county(full=True)
    log(f"county built in {time.monotonic() - t0:.1f}s")
    seeder = Seeder(county, rng_seed=rng_seed, now=now)
    plans = seeder.build(matters)
    log(f"{len(plans)} plans, {sum(len(p.steps) + 1 for p in plans)} steps; running…")
    res = seeder.run(plans, log)
    # Leaders' reception schedule, pre-registrations, 包案 cases, screening ledger (issue 6).
    from xinfang.practice.seed import seed_practice

    practice = seed_practice(county, timezone.localdate(seeder.now))
    log(f"practice records: {practice}")
    from xinfang.petitions.intel import train_from_db  # intake category model (issue 5)

    train_from_db(log_fn=log)
    res.seconds = time.monotonic() - t0
    return res

"""Who may do what, beside the state machine: every act that is not a transition, as data.

A transition (``states.TRANSITIONS``) already says roles × scopes × article. Everything else
a person does — register, supervise, search, export, reveal an identity, the practice acts —
is declared here once: act → roles → where (the scope predicate) → article. The web pages,
the API and the services all read this table; the services refuse on their own
(``xinfang.petitions.permissions.require``), so a new front door cannot forget a check.

Plain Python: no Django. ``Where`` names a predicate that the petitions layer evaluates
against the user and, where the act concerns one, the matter.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from xinfang.domain.i18n import gettext_noop

from .states import Role

R = Role


class Where(StrEnum):
    """The scope predicate of an act (evaluated in ``xinfang.petitions.permissions``)."""

    ANYWHERE = "anywhere"  # nothing beyond the role (reference data, one's own account)
    OWN_BODY = "own_body"  # at the user's own body: the user must belong to one
    JURISDICTION = "jurisdiction"  # the user's division and below: 信访部门, 党委政府, 乡镇,
    # leaders and 督查 (§15 ¶3 territorial responsibility); an object's place must lie inside
    MATTER = "matter"  # a matter the read gate lets the user open (access.visible_matters)
    CHAIN = "chain"  # a body that holds, handles, reviews or received the matter
    CONFIDENTIAL = "confidential"  # never the accused unit; a report or a confidential
    # matter only within the chain (§30 ¶3; 京 §22 (4), 沪 §14 (5))
    IDENTITY = "identity"  # the audited reveal: CONFIDENTIAL and not anonymous; for a
    # confidential matter also leaders, officers and admins outside the chain who may open it
    # and have a second factor (issue 14 item 3)
    ASSIGNEE = "assignee"  # the 主办 unit of a 交办 (§22 ¶1 (3))
    ASSISTANT = "assistant"  # a 协办 unit of the matter (§24)
    LEAD = "lead"  # the unit handling the matter now (its 主办 or the body handling it itself)
    HOLDER = "holder"  # the body that registered (holds) the matter


# Roles that work at a desk; citizens and the scheduler are not staff.
STAFF = frozenset({R.REGISTRAR, R.OFFICER, R.HANDLER, R.UNIT_HEAD, R.LEADER, R.SUPERVISOR,
                   R.ADMIN})
UNIT = frozenset({R.HANDLER, R.UNIT_HEAD})
# 信访干部, leaders, 督查 and administrators: oversight of a jurisdiction.
OVERSIGHT = frozenset({R.OFFICER, R.LEADER, R.SUPERVISOR, R.ADMIN})
# Who decides that a matter is 重大、紧急 for a body (§25): its 信访干部, leaders and 单位负责人.
URGENT = frozenset({R.OFFICER, R.LEADER, R.UNIT_HEAD})


@dataclass(frozen=True)
class Act:
    name: str
    label: str  # what the act is, for "您无权{label}" (Chinese msgid; translated where shown)
    roles: frozenset[Role]
    where: Where
    article: str
    open_only: bool = False  # only on a matter that is still open
    who: str = ""  # who may, for a refusal that tells the user whom to ask (Chinese)

    @property
    def refusal(self) -> str:
        return f"只有{self.who}可以{self.label}" if self.who else f"您无权{self.label}"


def _a(name: str, label: str, roles: frozenset[Role] | set[Role], where: Where, article: str,
       **kw: object) -> Act:
    return Act(name, label, frozenset(roles), where, article, **kw)  # type: ignore[arg-type]


ACTS: dict[str, Act] = {a.name: a for a in [
    # --- intake. §23 ¶1: any body a petition is brought to registers it — staff of a unit at
    # their own unit (then D2, §23 ¶1–2), a 信访部门 at its window (D1, §22), a leader at a
    # reception (§18 ¶2). Supervisors register nothing.
    _a("register", gettext_noop("登记信访事项"),
       {R.REGISTRAR, R.OFFICER, R.HANDLER, R.UNIT_HEAD, R.LEADER, R.ADMIN},
       Where.OWN_BODY, "§21 ¶1、§23 ¶1", who="本机关、单位的登记、办理人员和领导"),
    # Issue 16 item 4: the registering body corrects what was mistyped at intake (§19 ¶1 the
    # petition's facts, §21 ¶1 registration); after a 转送/交办 the receiving units are told,
    # after the answer not at all (the service checks the stage: services/correction.py).
    _a("correct_registration", gettext_noop("更正登记信息"),
       {R.REGISTRAR, R.OFFICER, R.HANDLER, R.UNIT_HEAD, R.LEADER, R.ADMIN},
       Where.HOLDER, "§19 ¶1、§21 ¶1", open_only=True, who="登记该事项的机关、单位的工作人员"),
    # 网上信访 by the citizen (§17, §19 ¶1, §21 ¶2): the portal and the public API.
    _a("submit_online", gettext_noop("网上提交信访事项"), {R.CITIZEN}, Where.ANYWHERE,
       "§17、§19 ¶1、§21 ¶2"),
    # --- oversight of matters
    _a("supervise", gettext_noop("督办"), {R.SUPERVISOR, R.OFFICER, R.LEADER, R.ADMIN},
       Where.MATTER, "§40", open_only=True, who="督查、信访干部或领导"),
    # §40 ¶1: the supervised body answers the 督办 in writing (its S1 clock); the service
    # checks that the user works at the supervised body. The supervisor accepts or asks again.
    _a("supervision_feedback", gettext_noop("书面反馈督办办理情况"),
       {R.HANDLER, R.UNIT_HEAD, R.OFFICER, R.LEADER}, Where.OWN_BODY, "§40 ¶1",
       who="被督办的机关、单位"),
    _a("review_supervision_feedback", gettext_noop("审核督办反馈"),
       {R.SUPERVISOR, R.OFFICER, R.LEADER, R.ADMIN}, Where.MATTER, "§40 ¶1",
       who="督查、信访干部或领导"),
    # §40 ¶1–¶3: the three recommendations of a 党委和政府信访部门 (the service checks that
    # the user's body is one and that the receiving body lies in its jurisdiction); ¶4: the
    # receiving body's written feedback on adoption (D12).
    _a("recommend_improve", gettext_noop("提出改进工作建议"), {R.OFFICER, R.LEADER},
       Where.MATTER, "§40 ¶1", who="党委和政府信访部门的信访干部或领导"),
    _a("recommend_policy", gettext_noop("提出完善政策建议"), {R.OFFICER, R.LEADER},
       Where.MATTER, "§40 ¶2", who="党委和政府信访部门的信访干部或领导"),
    _a("recommend_accountability", gettext_noop("提出追究责任建议"), {R.OFFICER, R.LEADER},
       Where.MATTER, "§40 ¶3", who="党委和政府信访部门的信访干部或领导"),
    _a("recommendation_feedback", gettext_noop("书面反馈建议采纳情况"),
       {R.HANDLER, R.UNIT_HEAD, R.OFFICER, R.LEADER}, Where.OWN_BODY, "§40 ¶4",
       who="收到建议的机关、单位"),
    _a("view_supervision", gettext_noop("查看督查督办"), {R.SUPERVISOR, R.OFFICER, R.LEADER, R.ADMIN},
       Where.JURISDICTION, "§40", who="督查、信访干部或领导"),
    _a("search", gettext_noop("查询信访事项"), STAFF, Where.MATTER, "§21 ¶2"),
    _a("export", gettext_noop("导出信访事项"), STAFF, Where.MATTER, "§21 ¶2"),
    _a("view_intel", gettext_noop("查看热点、预警和分析"), OVERSIGHT, Where.JURISDICTION,
       "§38、§39"),
    _a("qr_codes", gettext_noop("管理扫码信访二维码"), {R.ADMIN, R.OFFICER}, Where.JURISDICTION,
       "§18 ¶1"),
    # --- one matter, outside the state machine
    _a("reveal_identity", gettext_noop("查看信访人身份信息"), STAFF, Where.IDENTITY, "§30 ¶3",
       who="办理单位，或启用动态口令的领导、信访干部和管理员"),
    # A petitioner's 复查/复核 window whose end rests on an estimated holiday table does not
    # lapse by itself (issue 13 item 4): a 督查 or an administrator confirms the closure.
    _a("confirm_lapse", gettext_noop("确认请求期限届满结案"), {R.SUPERVISOR, R.ADMIN}, Where.MATTER,
       "京 §37（三）、鲁 §33 ¶3；§35、§36 ¶1", open_only=True, who="督查或管理员"),
    _a("attach", gettext_noop("上传附件"), STAFF, Where.CHAIN, "§19 ¶1"),
    _a("download_attachment", gettext_noop("下载附件"), STAFF, Where.CONFIDENTIAL, "§30 ¶3"),
    _a("submit_report", gettext_noop("提交办结报告"), UNIT, Where.ASSIGNEE, "§22 ¶1（三）",
       who="交办事项的主办单位"),
    _a("assist_sign", gettext_noop("签收协办件"), UNIT, Where.ASSISTANT, "§24", who="协办单位"),
    _a("assist_object", gettext_noop("退回协办件"), UNIT, Where.ASSISTANT, "§23 ¶3、§24",
       who="协办单位"),
    _a("assist_reply", gettext_noop("提交协办意见"), UNIT, Where.ASSISTANT, "§24", who="协办单位"),
    # The named 承办人 inside the unit handling the matter, assigned and reassigned by its
    # head or leaders (when someone leaves or steps aside); §28 ¶3 回避: a member of staff with a
    # direct interest in the matter or the petitioner is excluded from it, on their own
    # declaration or the petitioner's request, recorded with the reason.
    # §32 ¶2: the body that supported a request sees that it is carried out, and records it.
    _a("record_implementation", gettext_noop("登记支持意见落实情况"), UNIT, Where.LEAD,
       "§32 ¶2", who="作出支持意见的办理单位"),
    _a("assign_handler", gettext_noop("指定承办人"), {R.UNIT_HEAD, R.LEADER}, Where.LEAD,
       "§28", open_only=True, who="办理单位的负责人或领导"),
    _a("recuse", gettext_noop("登记回避"), {R.UNIT_HEAD, R.LEADER, R.HANDLER, R.OFFICER},
       Where.CHAIN, "§28 ¶3", open_only=True, who="办理该事项的机关、单位"),
    # 回访 (issue 16 item 2): after the answer, a call with the petitioner, recorded with its
    # opinion; a rating given in it is recorded on the petitioner's behalf (§21 ¶2).
    _a("follow_up", gettext_noop("登记回访"), {R.REGISTRAR, R.OFFICER, R.HANDLER, R.UNIT_HEAD},
       Where.CHAIN, "§21 ¶2", who="登记或办理该事项的机关、单位"),
    # §30 ¶2: the 党委和政府信访部门 holding a petition about a cadre 通报 it to the 组织（人事）
    # 部门 by 干部管理权限 — a record and a document that never names the reporter.
    _a("notify_personnel", gettext_noop("向组织（人事）部门通报反映干部问题的信访情况"),
       {R.OFFICER, R.LEADER}, Where.CHAIN, "§30 ¶2", who="登记该事项的党委和政府信访部门"),
    # §25 ¶1–2: 重大、紧急 matters. The holding body or a body handling the matter decides —
    # its 信访干部, leaders or 单位负责人 — and reports to its own 党委和政府 (a 信访部门 also
    # upward and to 国家信访局); concealing or delaying it is a §46 (4) liability ground.
    _a("declare_urgent", gettext_noop("认定重大紧急信访事项"), URGENT, Where.CHAIN, "§25",
       open_only=True, who="登记或办理该事项的机关、单位的信访干部、领导或单位负责人"),
    _a("urgent_measure", gettext_noop("登记重大紧急事项处置措施"), URGENT, Where.CHAIN, "§25 ¶1",
       who="认定该事项为重大紧急的机关、单位"),
    _a("urgent_report_sent", gettext_noop("登记重大紧急信息报送"), URGENT, Where.CHAIN, "§25",
       who="认定该事项为重大紧急的机关、单位"),
    # --- the petitioner's side after filing (issue 16 item 6). The citizen acts (Where.ANYWHERE:
    # the proof is the query code, the phone and a fresh SMS code to it, issue 14 item 7)
    # add materials or answer the handler's question (§19 ¶1) while the matter is open; the
    # unit asks, and records 息诉罢访 when the petitioner declares the matter settled (京 §27 ¶2:
    # a declared end binds an agent too), confirmed by the petitioner's code or written pledge.
    _a("supplement", gettext_noop("补充材料"), {R.CITIZEN}, Where.ANYWHERE, "§19 ¶1",
       open_only=True),
    _a("ask_petitioner", gettext_noop("请信访人补充材料或说明"),
       {R.HANDLER, R.UNIT_HEAD, R.OFFICER, R.REGISTRAR, R.LEADER}, Where.CHAIN, "§19 ¶1、§28",
       open_only=True, who="登记或办理该事项的机关、单位"),
    _a("record_settlement", gettext_noop("登记息诉罢访"),
       {R.HANDLER, R.UNIT_HEAD, R.OFFICER, R.LEADER}, Where.CHAIN, "京 §27 ¶2；§21 ¶2",
       who="登记或办理该事项的机关、单位"),
    # --- practice (procedure.md §8): reception, 包案, prevention, meetings
    _a("configure_practice", gettext_noop("修改工作机制配置"), {R.ADMIN, R.OFFICER},
       Where.JURISDICTION, "§18 ¶2"),
    _a("schedule_reception", gettext_noop("安排领导接访"), {R.LEADER, R.OFFICER, R.ADMIN},
       Where.JURISDICTION, "§18 ¶2"),
    _a("triage", gettext_noop("分办预登记"), {R.OFFICER, R.LEADER, R.REGISTRAR, R.ADMIN},
       Where.JURISDICTION, "§18 ¶2"),
    _a("record_visit", gettext_noop("填写接谈记录"), {R.LEADER}, Where.OWN_BODY, "§18 ¶2"),
    _a("open_case", gettext_noop("确定包案"), {R.LEADER, R.OFFICER, R.SUPERVISOR, R.ADMIN},
       Where.JURISDICTION, "§18 ¶2"),
    _a("list_case", gettext_noop("挂牌督办"), {R.SUPERVISOR, R.LEADER, R.ADMIN},
       Where.JURISDICTION, "§40"),
    _a("view_listed", gettext_noop("查看挂牌督办"), {R.SUPERVISOR, R.LEADER, R.ADMIN, R.OFFICER},
       Where.JURISDICTION, "§40"),
    _a("sign_off_case", gettext_noop("审核销号"), {R.SUPERVISOR, R.ADMIN}, Where.JURISDICTION,
       "§40"),
    _a("handover_cases", gettext_noop("办理包案交接"), {R.ADMIN, R.OFFICER, R.SUPERVISOR, R.LEADER},
       Where.JURISDICTION, "§18 ¶2"),
    _a("screen_disputes", gettext_noop("登记矛盾纠纷排查"),
       {R.OFFICER, R.HANDLER, R.UNIT_HEAD, R.LEADER, R.ADMIN}, Where.JURISDICTION, "§10、§15 ¶3"),
    _a("assess_risk", gettext_noop("登记稳评"), {R.OFFICER, R.LEADER, R.UNIT_HEAD, R.ADMIN},
       Where.OWN_BODY, "§10"),
    _a("link_assessment", gettext_noop("关联稳评"),
       {R.OFFICER, R.LEADER, R.UNIT_HEAD, R.SUPERVISOR, R.ADMIN}, Where.OWN_BODY, "§10"),
    _a("keep_meetings", gettext_noop("登记会议"), {R.OFFICER, R.LEADER, R.ADMIN},
       Where.JURISDICTION, "§8、§13"),
    # --- assessment (§39; issue 17): a matter leaves the assessed figures only by a
    # supervisor's audited decision on a reason from the fixed list; reports are issued by
    # the 信访部门 and its leaders, and once issued never change.
    _a("exempt_from_assessment", gettext_noop("决定不纳入考核"), {R.SUPERVISOR, R.ADMIN},
       Where.JURISDICTION, "§39", who="督查"),
    _a("issue_report", gettext_noop("印发报告"), {R.OFFICER, R.LEADER, R.ADMIN},
       Where.JURISDICTION, "§39、§41", who="信访部门的信访干部或领导"),
]}


def role_may(name: str, role: Role | str | None, *, superuser: bool = False) -> bool:
    """Whether the role alone allows the act (the scope is checked by the petitions layer).
    A Django superuser counts as an administrator."""
    act = ACTS[name]
    if superuser:
        return R.ADMIN in act.roles
    try:
        return Role(role) in act.roles if role else False
    except ValueError:
        return False


def roles_for(name: str) -> frozenset[Role]:
    return ACTS[name].roles

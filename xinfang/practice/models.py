"""Practice records (procedure.md §8): reception schedule, visits, 包案/积案, screening, 稳评,
meetings. Only xinfang.practice.services writes these tables.

Every record carries ``division_path`` (a copy of its division's materialised path) so the
jurisdiction filter in access.py is an indexed prefix match, as for matters.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from xinfang.core.crypto import (
    BlindIndexField,
    EncryptedTextField,
    SealableJSONField,
    SealableTextField,
)
from xinfang.core.i18n import label_choices
from xinfang.domain import practice as pr
from xinfang.org.models import Body, Division
from xinfang.petitions.models import Dispatch, Matter, SealedWithMatter

USER = settings.AUTH_USER_MODEL


class ReceptionRule(models.Model):
    """A place's override of a tier's minimum reception frequency (defaults in the domain)."""

    tier = models.CharField("领导层级", max_length=12, choices=label_choices(pr.TIER_LABELS), unique=True)
    period = models.CharField("周期", max_length=12, choices=label_choices(pr.PERIOD_LABELS))
    min_days = models.PositiveSmallIntegerField("至少天数", default=1)
    source = models.CharField("依据", max_length=120, blank=True)
    certainty = models.CharField("确定性", max_length=12, choices=label_choices(pr.CERTAINTY_LABELS),
                                 default=pr.Certainty.LOCAL.value)
    note = models.CharField("说明", max_length=200, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "接访频次规则"

    def __str__(self) -> str:
        return f"{self.get_tier_display()} {self.get_period_display()} ≥{self.min_days}天"


class PracticeSettings(models.Model):
    """Per-place configuration; the nearest ancestor's row applies to a division."""

    division = models.OneToOneField(Division, verbose_name="适用区划（含下级）",
                                    on_delete=models.CASCADE, related_name="+")
    daily_rota = models.BooleanField("县领导每个工作日轮值接访", default=True)
    principal_weekday = models.PositiveSmallIntegerField(
        "主要领导固定接访（星期，0=周一）", null=True, blank=True, default=0)
    principal_session = models.CharField("时段", max_length=4,
                                         choices=label_choices(pr.SESSION_LABELS), default="am")
    fixed_monthly_day = models.PositiveSmallIntegerField("每月固定接访日", null=True, blank=True)
    backlog_open_days = models.PositiveSmallIntegerField("积案：未办结超过（天）", default=90)
    screening_since = models.DateField("排查台账启用日期", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "工作机制配置"

    def __str__(self) -> str:
        return str(self.division)


class LeaderProfile(models.Model):
    """A leader taking part in reception (the schedule and the compliance view list these)."""

    user = models.OneToOneField(USER, on_delete=models.CASCADE, related_name="leader_profile")
    tier = models.CharField("领导层级", max_length=12, choices=label_choices(pr.TIER_LABELS))
    is_principal = models.BooleanField("主要负责同志", default=False)
    on_rota = models.BooleanField("参加每日轮值", default=True)
    active = models.BooleanField("在岗", default=True)

    class Meta:
        verbose_name = verbose_name_plural = "接访领导"

    def __str__(self) -> str:
        return str(self.user)


class ReceptionSlot(models.Model):
    """One leader's reception day (接访) or field visit (下访)."""

    class Kind(models.TextChoices):
        RECEPTION = "reception", _("领导接访")
        FIELD = "field", _("领导下访")

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("拟安排")
        PUBLISHED = "published", _("已公布")
        HELD = "held", _("已接访")
        CANCELLED = "cancelled", _("已取消")

    leader = models.ForeignKey(USER, verbose_name="接访领导", on_delete=models.PROTECT,
                               related_name="reception_slots")
    body = models.ForeignKey(Body, verbose_name="领导所在机关", on_delete=models.PROTECT,
                             related_name="+")
    division = models.ForeignKey(Division, verbose_name="区划", on_delete=models.PROTECT,
                                 related_name="+")
    division_path = models.CharField(max_length=160, db_index=True)
    kind = models.CharField("方式", max_length=10, choices=Kind.choices, default=Kind.RECEPTION)
    day = models.DateField("日期")
    session = models.CharField("时段", max_length=4, choices=label_choices(pr.SESSION_LABELS),
                               default=pr.Session.DAY.value)
    place = models.CharField("地点", max_length=200, blank=True)
    topics = models.CharField("接访主题", max_length=200, blank=True)
    capacity = models.PositiveSmallIntegerField("预约名额", default=10)
    source = models.CharField("排定依据", max_length=12, choices=label_choices(pr.SLOT_SOURCE_LABELS),
                              default=pr.SlotSource.MANUAL.value)
    status = models.CharField("状态", max_length=10, choices=Status.choices,
                              default=Status.PROPOSED)
    people_met = models.TextField("下访接触群众", blank=True)
    # A reception day with nobody coming counts only when recorded so, with the reception
    # room's log entry (issue 17: 达标 needs a recorded 接谈 or a recorded empty day).
    no_visitors = models.BooleanField("当日无群众来访", default=False)
    room_log = models.TextField("接待室登记簿记载", blank=True)
    note = models.CharField("备注", max_length=200, blank=True)
    created_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "领导接访下访安排"
        ordering = ["day", "session", "leader_id"]
        indexes = [models.Index(fields=["division_path", "day"], name="slot_div_day")]
        constraints = [
            models.UniqueConstraint(fields=["leader", "day", "session"],
                                    condition=~Q(status="cancelled"), name="one_slot_per_session"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.leader} {self.get_kind_display()}"


class PreRegistration(SealedWithMatter, models.Model):
    """A citizen's 预登记 for a published reception day; triaged by staff before the visit.
    Its text is sealed once the visit registers it as a confidential matter (issue 14 item 13;
    before that it is no matter's, and a 预登记 has no report form)."""

    SEAL_MATTER = "visit__matter"

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("待分办")
        ACCEPTED = "accepted", _("已安排接谈")
        REDIRECTED = "redirected", _("已引导至有权机关")
        DECLINED = "declined", _("不予安排")
        VISITED = "visited", _("已接谈")
        NO_SHOW = "no_show", _("未到场")

    slot = models.ForeignKey(ReceptionSlot, on_delete=models.PROTECT, related_name="preregs")
    code = models.CharField("查询码", max_length=12, unique=True)
    name = EncryptedTextField("姓名")
    phone = EncryptedTextField("手机")
    id_number = EncryptedTextField("身份证号码", blank=True)
    phone_index = BlindIndexField(source="phone", kind="phone")
    id_index = BlindIndexField(source="id_number", kind="id")
    division = models.ForeignKey(Division, verbose_name="问题属地", on_delete=models.PROTECT,
                                 related_name="+")
    division_path = models.CharField(max_length=160, db_index=True)
    title = SealableTextField("事项", max_length=200)
    request = SealableTextField("诉求")
    content = SealableTextField("事实与理由", blank=True)
    headcount = models.PositiveSmallIntegerField("人数", default=1)
    status = models.CharField("状态", max_length=12, choices=Status.choices,
                              default=Status.SUBMITTED)
    triage_note = SealableTextField("分办意见", blank=True)
    triaged_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    triaged_at = models.DateTimeField(null=True, blank=True)
    brief = SealableJSONField("访前研判", default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "接访预登记"
        ordering = ["slot_id", "created_at"]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class VisitRecord(SealedWithMatter, models.Model):
    """接谈记录: one visitor (or group) received by a leader, and the item assigned on the spot."""

    slot = models.ForeignKey(ReceptionSlot, on_delete=models.PROTECT, related_name="visits")
    prereg = models.OneToOneField(PreRegistration, null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="visit")
    leader = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    matter = models.ForeignKey(Matter, on_delete=models.PROTECT, related_name="visit_records")
    talk = SealableTextField("接谈记录")
    people_met = SealableTextField("接触群众（下访）", blank=True)
    dispatch = models.ForeignKey(Dispatch, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+", help_text="现场交办的主办交办单")
    instructions = SealableTextField("领导批示", blank=True)
    reported_back_at = models.DateTimeField("已向领导反馈", null=True, blank=True)
    division_path = models.CharField(max_length=160, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "接谈记录"
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.slot.day} {self.matter.number}"


class Case(SealedWithMatter, models.Model):
    """包案 (四定四包) or 积案: one leader, one handler and team, one plan, one deadline."""

    class Kind(models.TextChoices):
        OWNERSHIP = "ownership", _("领导包案")
        BACKLOG = "backlog", _("信访积案")

    class Status(models.TextChoices):
        OPEN = "open", _("化解中")
        CLOSING = "closing", _("待审核销号")
        CLOSED = "closed", _("已销号")

    matter = models.ForeignKey(Matter, on_delete=models.PROTECT, related_name="cases")
    kind = models.CharField("类型", max_length=10, choices=Kind.choices, default=Kind.OWNERSHIP)
    task = SealableTextField("任务（定任务）")
    leader = models.ForeignKey(USER, verbose_name="包案领导", on_delete=models.PROTECT,
                               related_name="led_cases")
    handler = models.ForeignKey(USER, verbose_name="具体承办人", on_delete=models.PROTECT,
                                related_name="handled_cases")
    team = models.ManyToManyField(USER, verbose_name="工作专班", blank=True, related_name="+")
    plan = SealableTextField("化解方案", blank=True)
    due_on = models.DateField("办结时限")
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.OPEN)
    backlog_reason = models.CharField("积案原因", max_length=24, blank=True,
                                      choices=label_choices(pr.BACKLOG_REASON_LABELS))
    trigger_matter = models.ForeignKey(Matter, null=True, blank=True, on_delete=models.SET_NULL,
                                       related_name="+", help_text="终结后重复信访的新件")
    listed = models.BooleanField("挂牌督办", default=False)
    listed_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")
    listed_at = models.DateTimeField(null=True, blank=True)
    listing_note = SealableTextField("督办要求", blank=True)
    criterion = models.CharField("销号标准", max_length=12, blank=True,
                                 choices=label_choices(pr.CRITERION_LABELS))
    closure_statement = SealableTextField("销号依据", blank=True)
    resolved = models.BooleanField("已化解", null=True, blank=True)
    proposed_at = models.DateTimeField(null=True, blank=True)
    signed_off_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="+")
    closed_at = models.DateTimeField("销号时间", null=True, blank=True)
    division_path = models.CharField(max_length=160, db_index=True)
    created_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = verbose_name_plural = "包案与积案"
        ordering = ["due_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["matter", "kind"], condition=~Q(status="closed"),
                                    name="one_open_case_per_matter_kind"),
        ]
        indexes = [models.Index(fields=["leader", "status"], name="case_leader_status")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.matter.number}"


class CaseMilestone(SealedWithMatter, models.Model):
    """One of the 四包 duties done, with its evidence."""

    SEAL_MATTER = "case__matter"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="milestones")
    duty = models.CharField("职责", max_length=12,
                            choices=[(c, label) for c, label, _ in pr.FOUR_DUTIES])
    done_on = models.DateField("完成日期")
    evidence = SealableTextField("工作佐证")
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        verbose_name = verbose_name_plural = "包案进展"
        constraints = [models.UniqueConstraint(fields=["case", "duty"], name="one_milestone_per_duty")]


class CaseLog(SealedWithMatter, models.Model):
    """The case's history: opening, progress, listing, hand-over, closure."""

    SEAL_MATTER = "case__matter"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="log")
    action = models.CharField(max_length=24)
    note = SealableTextField(blank=True)
    actor = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    data = SealableJSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]


class Handover(models.Model):
    """新官理旧账: an owner's open cases passed to a successor, explicitly."""

    from_user = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    to_user = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    reason = models.CharField("原因", max_length=200)
    cases = models.ManyToManyField(Case, related_name="handovers")

    class Meta:
        verbose_name = verbose_name_plural = "包案交接"


class ScreeningRound(models.Model):
    """One periodic 矛盾纠纷排查 of a village, township, county or city."""

    division = models.ForeignKey(Division, on_delete=models.PROTECT, related_name="+")
    division_path = models.CharField(max_length=160, db_index=True)
    conducted_on = models.DateField("排查日期")
    conducted_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    note = models.TextField("排查情况", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "矛盾纠纷排查"
        ordering = ["-conducted_on", "id"]
        indexes = [models.Index(fields=["division", "conducted_on"], name="screening_div_on")]


class DisputeEntry(models.Model):
    """矛盾纠纷排查台账 entry (a dispute, not yet a petition)."""

    class Status(models.TextChoices):
        OPEN = "open", _("化解中")
        RESOLVED = "resolved", _("已化解")
        CONVERTED = "converted", _("已转信访事项")

    round = models.ForeignKey(ScreeningRound, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="entries")
    division = models.ForeignKey(Division, on_delete=models.PROTECT, related_name="+")
    division_path = models.CharField(max_length=160, db_index=True)
    title = models.CharField("矛盾纠纷", max_length=200)
    description = models.TextField("基本情况", blank=True)
    parties = EncryptedTextField("当事人")
    risk_grade = models.CharField("风险等级", max_length=8, choices=label_choices(pr.RISK_LABELS))
    responsible = models.ForeignKey(USER, verbose_name="责任人", null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    responsible_body = models.ForeignKey(Body, verbose_name="责任单位", null=True, blank=True,
                                         on_delete=models.PROTECT, related_name="+")
    measures = models.TextField("化解措施", blank=True)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.OPEN)
    matter = models.ForeignKey(Matter, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="dispute_entries")
    mediation_kind = models.CharField("调解方式", max_length=16, blank=True,
                                      choices=label_choices(pr.MEDIATION_LABELS))
    agreement = models.TextField("调解协议", blank=True)
    resolution = models.TextField("化解情况", blank=True)
    resolved_on = models.DateField(null=True, blank=True)
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "矛盾纠纷台账"
        ordering = ["-created_at", "id"]

    def __str__(self) -> str:
        return self.title


class DisputeFollowUp(models.Model):
    entry = models.ForeignKey(DisputeEntry, on_delete=models.CASCADE, related_name="follow_ups")
    on = models.DateField("日期")
    note = models.TextField("跟进情况")
    by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["on", "id"]


class RiskAssessment(models.Model):
    """信访稳定风险评估 of a major project or decision (§8.8)."""

    project = models.CharField("评估事项", max_length=200)
    division = models.ForeignKey(Division, on_delete=models.PROTECT, related_name="+")
    division_path = models.CharField(max_length=160, db_index=True)
    body = models.ForeignKey(Body, verbose_name="评估主体", on_delete=models.PROTECT,
                             related_name="+")
    assessed_on = models.DateField("评估日期")
    risks = models.TextField("风险点")
    grade = models.CharField("风险等级", max_length=8, choices=label_choices(pr.RISK_LABELS))
    measures = models.TextField("防范化解措施", blank=True)
    decision = models.CharField("评估结论", max_length=10, choices=label_choices(pr.DECISION_LABELS))
    matters = models.ManyToManyField(Matter, blank=True, related_name="risk_assessments")
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "信访稳定风险评估"
        ordering = ["-assessed_on", "id"]

    def __str__(self) -> str:
        return self.project


class Meeting(models.Model):
    """联席会议 or the monthly analysis meeting (研判)."""

    class Kind(models.TextChoices):
        JOINT = "joint", _("信访工作联席会议")
        ANALYSIS = "analysis", _("月度信访形势分析研判会")

    kind = models.CharField("会议", max_length=10, choices=Kind.choices)
    division = models.ForeignKey(Division, on_delete=models.PROTECT, related_name="+")
    division_path = models.CharField(max_length=160, db_index=True)
    body = models.ForeignKey(Body, verbose_name="召集机关", on_delete=models.PROTECT,
                             related_name="+")
    held_on = models.DateField("日期")
    title = models.CharField("议题", max_length=200)
    agenda = models.JSONField("议程", default=list, blank=True)
    minutes = models.TextField("会议纪要", blank=True)
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "联席会议与研判"
        ordering = ["-held_on", "id"]

    def __str__(self) -> str:
        return f"{self.held_on} {self.title}"


class MeetingDecision(SealedWithMatter, models.Model):
    """A decision with an owner and a deadline, tracked to done."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="decisions")
    text = SealableTextField("议定事项")
    owner_body = models.ForeignKey(Body, verbose_name="责任单位", on_delete=models.PROTECT,
                                   related_name="+")
    owner = models.ForeignKey(USER, verbose_name="责任人", null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    due_on = models.DateField("完成时限")
    done_on = models.DateField("完成日期", null=True, blank=True)
    evidence = SealableTextField("落实情况", blank=True)
    matter = models.ForeignKey(Matter, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+")

    class Meta:
        verbose_name = verbose_name_plural = "会议议定事项"
        ordering = ["due_on", "id"]


# Assessment records (issue 17): importing them here registers their models.
from .models_assessment import Exemption as Exemption  # noqa: E402
from .models_assessment import IssuedReport as IssuedReport  # noqa: E402

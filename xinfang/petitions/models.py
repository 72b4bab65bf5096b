"""The petition matter (信访事项) and everything that hangs off it.

No workflow code here: transitions live in xinfang.domain.states and are carried out by
xinfang.petitions.services, which is the only writer of these tables.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Case, F, Q, Value, When
from django.db.models.functions import Coalesce
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from xinfang.core.crypto import (
    BlindIndexField,
    EncryptedTextField,
    SealableJSONField,
    SealableTextField,
)
from xinfang.core.fastinsert import CompiledInsert
from xinfang.core.i18n import label_choices
from xinfang.domain.states import (
    CLOSURE_LABELS,
    KLASS_LABELS,
    OPEN_STATES,
    OUTCOME_LABELS,
    STATE_LABELS,
    ClosureKind,
    Klass,
    ReplyOutcome,
    State,
)
from xinfang.org.models import Body, Category, Division


class Channel(models.TextChoices):
    ONLINE = "online", pgettext_lazy("channel", "网上信访")
    LETTER = "letter", _("来信")
    VISIT = "visit", _("来访")
    PHONE = "phone", _("来电")
    FAX = "fax", _("传真")
    QR = "qr", _("扫码")
    SUPERIOR = "superior", _("上级转送")


class RepeatKind(models.TextChoices):
    """初信初访 or 重复信访 (the same petitioner and the same matter, §19 ¶3; procedure.md
    §8.6). A level-skipping visit (越级) is not a kind of repeat: ``Matter.level_skip``."""

    FIRST = "first", _("初信初访")
    REPEAT = "repeat", _("重复信访")


NO_DUE = date(9999, 12, 31)  # Matter.queue_due of a matter with no open deadline

# The body that has to act on an open matter in each state: the 信访部门 that holds it until it
# is disposed of (§22), the 主办 unit while it is handled and answered (§§32–33), then the
# 复查/复核 body (§§35–36). The work queue is keyed by it.
ACTING_BODY_FIELD: dict[State, str] = {
    State.REGISTERED: "holder", State.OBJECTED: "holder",
    State.DISPATCHED: "lead_body", State.SIGNED: "lead_body", State.HANDLING: "lead_body",
    State.EXTENSION_PENDING: "lead_body", State.REPLIED: "lead_body",
    State.REVIEW_REQUESTED: "review_body", State.REVIEWED: "review_body",
    State.RECHECK_REQUESTED: "recheck_body", State.RECHECK_HEARING: "recheck_body",
}
assert set(ACTING_BODY_FIELD) == set(OPEN_STATES)


def _acting_body_expr() -> Case:
    by_field: dict[str, list[str]] = {}
    for state, name in ACTING_BODY_FIELD.items():
        by_field.setdefault(name, []).append(state.value)
    return Case(*[When(state__in=sorted(states), then=F(name))
                  for name, states in by_field.items()], default=None)


class SealedWithMatter:
    """A row whose free text belongs to a matter (issue 14 item 13): its ``SealableTextField``
    / ``SealableJSONField`` values are encrypted at rest when that matter is confidential
    (``Matter.seals_text``). ``SEAL_MATTER`` is the lookup from the row to its matter
    (``"matter"``, ``"case__matter"`` …): :func:`xinfang.petitions.sealing.seal_matter_rows`
    uses it to seal a matter's rows when the matter becomes confidential later."""

    SEAL_MATTER = "matter"

    @property
    def seals_text(self) -> bool:
        obj: Any = self
        for part in self.SEAL_MATTER.split("__"):
            obj = getattr(obj, part, None)  # a missing reverse one-to-one is an AttributeError
            if obj is None:
                return False
        return bool(obj.seals_text)


class Matter(CompiledInsert, models.Model):
    # Unique in Meta.constraints: ``unique=True`` adds a LIKE copy on PostgreSQL (exact only).
    number = models.CharField("信访件编号", max_length=32)
    query_code = models.CharField("查询码", max_length=12)
    channel = models.CharField("信访形式", max_length=10, choices=Channel.choices)
    source_doc_no = models.CharField("来文文号", max_length=64, blank=True)
    source_body_name = models.CharField("来文机关", max_length=100, blank=True)
    # Per-channel intake details: reception_room (来访), postmark_on (来信). No personal data.
    channel_details = models.JSONField("渠道信息", default=dict, blank=True)
    received_at = models.DateTimeField("收到时间", db_index=True)
    registered_at = models.DateTimeField("登记时间", auto_now_add=True)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="登记人", null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )
    holder = models.ForeignKey(
        Body, verbose_name="登记机关", on_delete=models.PROTECT, related_name="held_matters"
    )
    # Free text: encrypted at rest when the matter is confidential (``seals_text``, issue 14
    # item 13); the title's 200 characters are checked by the forms (domain.limits).
    title = SealableTextField("标题", max_length=200)
    request = SealableTextField("诉求")
    content = SealableTextField("事实与理由")
    division = models.ForeignKey(Division, verbose_name="问题属地", on_delete=models.PROTECT,
                                 db_index=False)  # indexed in Meta: no LIKE copy of the code
    # Copy of division.path: jurisdiction filters are an indexed prefix match (matter_div_recv).
    division_path = models.CharField(max_length=160)
    category = models.ForeignKey(
        Category, verbose_name="内容分类", null=True, blank=True, on_delete=models.PROTECT
    )
    klass = models.CharField("事项类别", max_length=12, choices=label_choices(KLASS_LABELS),
                             default=Klass.APPEAL.value)
    route31 = models.PositiveSmallIntegerField("§31 处理途径", null=True, blank=True)
    accused_name = EncryptedTextField("被反映人", blank=True)
    accused_body = models.ForeignKey(
        Body, verbose_name="被反映单位", null=True, blank=True, on_delete=models.PROTECT,
        related_name="accused_in", db_index=False,
    )
    is_collective = models.BooleanField("集体访/联名信", default=False)
    headcount = models.PositiveIntegerField("信访人数", default=1)
    is_anonymous = models.BooleanField("匿名", default=False)
    is_urgent = models.BooleanField("重大紧急", default=False)
    # The named 承办人 inside the handling unit, and the staff excluded from the matter by
    # 回避 (§28 ¶3); kept on the matter so the actor check needs no extra query.
    handler_user = models.ForeignKey("org.User", verbose_name="承办人", null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+", db_index=False)
    recused_ids = models.JSONField("回避人员", default=list, blank=True)
    confidential = models.BooleanField("信访人要求保密", default=False)
    legal_litigation = models.BooleanField("涉法涉诉", default=False)
    repeat_kind = models.CharField("初重件", max_length=12, choices=RepeatKind.choices,
                                   default=RepeatKind.FIRST)
    repeat_of = models.ForeignKey(
        "self", verbose_name="原信访件", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="repeats", db_index=False,
    )
    # 越级走访 (§20 ¶1, N3): a visit to a body two levels or more above the competent one,
    # set at registration from the levels of the body and the problem's place.
    level_skip = models.BooleanField("越级走访", default=False)
    state = models.CharField("状态", max_length=24, choices=label_choices(STATE_LABELS),
                             default=State.REGISTERED.value)
    closure_kind = models.CharField("结案方式", max_length=32, blank=True,
                                    choices=label_choices(CLOSURE_LABELS))
    lead_body = models.ForeignKey(  # indexed by matter_lead_queue, which it leads
        Body, verbose_name="主办单位", null=True, blank=True, on_delete=models.PROTECT,
        related_name="led_matters", db_index=False,
    )
    accepted_on = models.DateField("受理日期", null=True, blank=True)
    replied_on = models.DateField("答复日期", null=True, blank=True)
    served_on = models.DateField("意见书送达日期", null=True, blank=True)
    outcome = models.CharField("处理结论", max_length=20, blank=True,
                               choices=label_choices(OUTCOME_LABELS))
    review_body = models.ForeignKey(
        Body, verbose_name="复查机关", null=True, blank=True, on_delete=models.PROTECT,
        related_name="+", db_index=False,
    )
    review_served_on = models.DateField("复查意见送达日期", null=True, blank=True)
    recheck_body = models.ForeignKey(
        Body, verbose_name="复核机关", null=True, blank=True, on_delete=models.PROTECT,
        related_name="+", db_index=False,
    )
    closed_at = models.DateTimeField("结案时间", null=True, blank=True)
    extension_used = models.BooleanField("已延期", default=False)
    supervised = models.BooleanField("督办中", default=False)
    redo_count = models.PositiveSmallIntegerField("重办次数", default=0)
    # Nearest open clock: the queue sorts and colours by it without touching Clock rows.
    next_due = models.DateField("最近期限", null=True, blank=True)
    first_contact = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="首问责任人", null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    suggested_category = models.JSONField("分类建议", default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Queue keys, computed by the database on every write (no code path can forget them):
    # the body that has to act now (ACTING_BODY_FIELD), and the holding 信访部门 while the
    # matter is open (it follows what it registered and dispatched). NULL once closed.
    queue_body = models.GeneratedField(
        expression=_acting_body_expr(), output_field=models.BigIntegerField(null=True),
        db_persist=True,
    )
    open_holder = models.GeneratedField(
        expression=Case(When(state__in=sorted(s.value for s in OPEN_STATES), then=F("holder")),
                        default=None),
        output_field=models.BigIntegerField(null=True), db_persist=True,
    )
    # next_due with "no deadline" as the last day there is: the queue's sort key, so one
    # index range scan yields deadlines first and deadline-less matters after them.
    queue_due = models.GeneratedField(
        expression=Coalesce(F("next_due"), Value(NO_DUE)),
        output_field=models.DateField(), db_persist=True,
    )

    class Meta:
        verbose_name = verbose_name_plural = "信访事项"
        indexes = [
            # Queue lookups: "matters held by my body in state X, nearest deadline first".
            models.Index(fields=["holder", "state", "next_due"], name="matter_holder_queue"),
            models.Index(fields=["lead_body", "state", "next_due"], name="matter_lead_queue"),
            models.Index(fields=["state", "next_due"], name="matter_state_due"),
            # A jurisdiction: division_path = p OR LIKE 'p/%' (access.visible_matters): the
            # prefix needs the pattern opclass on PostgreSQL (collation not C). SQLite ignores it.
            models.Index(fields=["division_path", "received_at"], name="matter_div_recv",
                         opclasses=["varchar_pattern_ops", "timestamptz_ops"]),
            # "Everything my body must act on, nearest deadline first": one range scan whatever
            # the state, covering the §30 ¶3 check (klass, accused_body), so a page of the
            # queue reads ~50 index entries however many matters the table holds.
            models.Index(fields=["queue_body", "queue_due", "id", "klass", "accused_body"],
                         name="matter_queue_body", condition=Q(queue_body__isnull=False)),
            models.Index(fields=["open_holder", "queue_due", "id", "klass", "accused_body"],
                         name="matter_open_holder", condition=Q(open_holder__isnull=False)),
            # Every open matter by deadline: the queue of leaders, 督查 and admins, who oversee
            # a jurisdiction rather than a desk (open_holder is set exactly while open).
            models.Index(fields=["queue_due", "id"], name="matter_open_due",
                         condition=Q(open_holder__isnull=False)),
            # 重大紧急 open matters (the dashboard's and the desk's urgent panel,
            # ``urgent.open_urgent``): a handful of entries, not a filter over every open matter
            # (2 s at 1,000,000 matters without it).
            models.Index(fields=["-received_at"], name="matter_urgent",
                         condition=Q(is_urgent=True)),
            # The queue tabs' "new since you looked" badges (queries._new_parts): a range of
            # the matters changed since, not every open matter of the tab (PostgreSQL, 20,000
            # matters: the badge query's execution 30.5 → 9.2 ms; docs/benchmarks.md).
            models.Index(fields=["updated_at"], name="matter_updated"),
            # Foreign keys (lookups, and a referenced row's delete: PROTECT/SET_NULL). Those a
            # new matter leaves empty are indexed where set, so a registration writes no entry
            # (docs/benchmarks.md, intake). holder_id keeps its own: the count per holder.
            models.Index(fields=["division"], name="matter_division"),
            *[models.Index(fields=[f], name=f"matter_{f}", condition=Q(**{f"{f}__isnull": False}))
              for f in ("accused_body", "review_body", "recheck_body", "repeat_of", "handler_user")],
        ]
        constraints = [
            models.UniqueConstraint(fields=["number"], name="matter_number_unique"),
            models.UniqueConstraint(fields=["query_code"], name="matter_query_code_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def state_enum(self) -> State:
        return State(self.state)

    @property
    def state_label(self) -> str:
        return gettext(STATE_LABELS[State(self.state)])

    @property
    def is_report(self) -> bool:
        return self.klass == Klass.REPORT.value

    @property
    def seals_text(self) -> bool:
        """A confidential matter (§30 ¶3; 京 §22 (4)): its free text, its events' notes and
        data and its documents' snapshots are encrypted at rest and kept out of the search
        index and the text models (issue 14 item 13)."""
        return bool(self.klass == Klass.REPORT.value or self.confidential)

    @property
    def closure_label(self) -> str:
        return gettext(CLOSURE_LABELS[ClosureKind(self.closure_kind)]) if self.closure_kind else ""

    @property
    def outcome_label(self) -> str:
        return gettext(OUTCOME_LABELS[ReplyOutcome(self.outcome)]) if self.outcome else ""


class Petitioner(CompiledInsert, models.Model):
    class Kind(models.TextChoices):
        PERSON = "person", _("个人")
        ORG = "org", _("组织")

    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="petitioners")
    kind = models.CharField("类型", max_length=8, choices=Kind.choices, default=Kind.PERSON)
    name = EncryptedTextField("姓名（名称）")
    id_number = EncryptedTextField("身份证号码", blank=True)
    phone = EncryptedTextField("手机", blank=True)
    address = EncryptedTextField("住址", blank=True)
    # Keyed blind indexes (HMAC): exact-match repeat detection without decrypting.
    # Indexed in Meta (exact lookups only: no LIKE copy on PostgreSQL).
    id_index = BlindIndexField(source="id_number", kind="id", db_index=False)
    phone_index = BlindIndexField(source="phone", kind="phone", db_index=False)
    # The clerk's search by name (issue 16 item 3): exact, whitespace and width folded.
    name_index = BlindIndexField(source="name", kind="name", db_index=False)
    is_representative = models.BooleanField("代表", default=False)
    is_lead = models.BooleanField("主访人", default=False)

    class Meta:
        verbose_name = verbose_name_plural = "信访人"
        indexes = [models.Index(fields=[f], name=f"petitioner_{f}")
                   for f in ("id_index", "phone_index", "name_index")]

    def __str__(self) -> str:
        return self.name


class Dispatch(SealedWithMatter, CompiledInsert, models.Model):
    """One 转送/交办 of a matter to one unit; 主办 and 协办 each have their own (§22, §24)."""

    class Kind(models.TextChoices):
        FORWARD = "forward", _("转送")
        ASSIGN = "assign", _("交办")
        REFER_POLITICAL_LEGAL = "refer_political_legal", _("转政法部门")
        REFER_DISCIPLINE = "refer_discipline", _("转纪检监察")
        DIRECT = "direct", _("本机关直接办理")  # §23 ¶1–2: a petition brought to a unit

    class Role(models.TextChoices):
        LEAD = "lead", _("主办")
        ASSIST = "assist", _("协办")

    class DState(models.TextChoices):
        PENDING = "pending", _("待签收")
        SIGNED = "signed", _("已签收")
        OBJECTED = "objected", _("已退回")
        RETURNED = "returned", _("退回已同意")
        ACCEPTED = "accepted", _("已受理")
        REPLIED = "replied", _("已答复")
        REFERRED = "referred", _("已移交")

    class Grade(models.TextChoices):
        NONE = "", _("无")
        GREEN = "green", _("绿色")
        YELLOW = "yellow", _("黄色")
        RED = "red", _("红色")

    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="dispatches")
    kind = models.CharField("方式", max_length=24, choices=Kind.choices)
    role = models.CharField("主协办", max_length=8, choices=Role.choices, default=Role.LEAD)
    from_body = models.ForeignKey(Body, on_delete=models.PROTECT, related_name="dispatched")
    to_body = models.ForeignKey(Body, on_delete=models.PROTECT, related_name="received_dispatches")
    state = models.CharField("状态", max_length=12, choices=DState.choices, default=DState.PENDING)
    number = models.CharField("文号", max_length=40, blank=True)
    dispatched_at = models.DateTimeField("转交时间")
    dispatched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    signed_at = models.DateTimeField("签收时间", null=True, blank=True)
    objection_reason = SealableTextField("退回理由", blank=True)
    report_due = models.DateField("办结报告期限", null=True, blank=True)
    report_text = SealableTextField("办结报告", blank=True)
    reported_at = models.DateTimeField("报告时间", null=True, blank=True)
    grade = models.CharField("三色等级", max_length=8, choices=Grade.choices, blank=True)
    instructions = SealableTextField("交办要求", blank=True)
    assist_reply = SealableTextField("协办意见", blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "转送交办"
        indexes = [models.Index(fields=["to_body", "state"], name="dispatch_to_state")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.to_body}"


class Clock(CompiledInsert, models.Model):
    """A running statutory or practice time limit (procedure.md §3), owed by one body."""

    class Alert(models.TextChoices):
        NORMAL = "normal", _("正常")
        NEAR = "near", _("临期")
        OVERDUE = "overdue", _("超期")

    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="clocks")
    dispatch = models.ForeignKey(
        Dispatch, null=True, blank=True, on_delete=models.CASCADE, related_name="clocks"
    )
    code = models.CharField("期限代码", max_length=16)
    name = models.CharField("期限", max_length=64)
    article = models.CharField("依据", max_length=64, blank=True)
    body = models.ForeignKey(Body, verbose_name="责任单位", null=True, blank=True,
                             on_delete=models.PROTECT, related_name="clocks")
    owed_by_petitioner = models.BooleanField(default=False)  # D8/D10: the petitioner's window
    started_on = models.DateField("起算日")
    due_on = models.DateField("届满日")
    unextended_on = models.DateField("未顺延届满日")
    estimated = models.BooleanField("无官方节假日数据", default=False)
    extra_days = models.PositiveSmallIntegerField(default=0)
    paused_days = models.PositiveSmallIntegerField(default=0)
    paused_since = models.DateField(null=True, blank=True)
    met_on = models.DateField("完成日", null=True, blank=True)
    alert = models.CharField(max_length=8, choices=Alert.choices, default=Alert.NORMAL)

    class Meta:
        verbose_name = verbose_name_plural = "期限"
        indexes = [
            # "What is overdue in my units" = an index range scan on open clocks.
            models.Index(fields=["body", "due_on"], condition=Q(met_on__isnull=True),
                         name="clock_open_body_due"),
            models.Index(fields=["due_on"], condition=Q(met_on__isnull=True),
                         name="clock_open_due"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.due_on}"

    @property
    def is_open(self) -> bool:
        return self.met_on is None


class Event(SealedWithMatter, CompiledInsert, models.Model):
    """The matter's timeline: every transition and notable act, with actor and time."""

    # Indexed by event_matter_at, which it leads.
    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="events",
                               db_index=False)
    action = models.CharField(max_length=40)
    label = models.CharField(max_length=64)
    from_state = models.CharField(max_length=24, blank=True)
    to_state = models.CharField(max_length=24, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    actor_body = models.ForeignKey(Body, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    actor_label = models.CharField(max_length=64, blank=True)
    at = models.DateTimeField(db_index=True)
    note = SealableTextField(blank=True)
    public = models.BooleanField(default=True)
    data = SealableJSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["matter", "at"], name="event_matter_at")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d} {self.label}"


class Document(SealedWithMatter, CompiledInsert, models.Model):
    """A 文书 issued on a matter (procedure.md §6); rendered from a stored snapshot."""

    class Kind(models.TextChoices):
        RECEIPT = "receipt", _("信访事项受理回执单")
        ACCEPTANCE = "acceptance", _("信访事项受理告知书")
        NOT_ACCEPTED = "not_accepted", _("信访事项不予受理告知书")
        INFORMED = "informed", _("信访事项告知书")
        FORWARD = "forward", _("信访事项转送单")
        ASSIGN = "assign", _("信访事项交办单")
        OBJECTION = "objection", _("信访事项退回（异议）函")
        OBJECTION_DECISION = "objection_ruling", _("信访事项退回（异议）审核意见")
        FORWARD_NOTICE = "forward_notice", _("信访事项转送（交办）告知书")
        EXTENSION = "extension", _("信访事项延期办理告知书")
        OPINION = "opinion", _("信访事项处理意见书")
        REVIEW = "review", _("信访事项复查意见书")
        RECHECK = "recheck", _("信访事项复核意见书")
        SUPERVISION = "supervision", _("信访事项督办单")
        CHANNEL = "channel", _("导入法定程序告知书")
        URGENT = "urgent", _("重大紧急信访信息报告")
        CADRE_NOTICE = "cadre_notice", _("反映干部问题信访情况通报")  # §30 ¶2
        RECOMMENDATION = "recommendation", _("信访工作建议书")  # §40 ¶1–¶3
        AGREEMENT = "agreement", _("信访事项调解（和解）协议书")  # §33

    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField("文书", max_length=16, choices=Kind.choices)
    number = models.CharField("文号", max_length=40)
    issued_by = models.ForeignKey(Body, on_delete=models.PROTECT, related_name="+")
    issued_at = models.DateTimeField("出具时间")
    served_on = models.DateField("送达日期", null=True, blank=True)
    service_method = models.CharField("送达方式", max_length=16, blank=True)
    to_petitioner = models.BooleanField("送达信访人", default=True)
    context = SealableJSONField("内容", default=dict)

    class Meta:
        verbose_name = verbose_name_plural = "文书"
        ordering = ["issued_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number}"


class Evaluation(SealedWithMatter, models.Model):
    class Rating(models.TextChoices):
        SATISFIED = "satisfied", _("满意")
        BASIC = "basic", _("基本满意")
        UNSATISFIED = "unsatisfied", _("不满意")

    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="evaluations")
    round = models.PositiveSmallIntegerField(default=0)  # = matter.redo_count when rated
    rating = models.CharField("评价", max_length=12, choices=Rating.choices)
    # The second target of evaluation (国信发〔2022〕11号): the 信访部门's registration and
    # 转送/交办, rated with the answer; blank when the petitioner rated only the handling.
    xinfang_rating = models.CharField("对信访部门的评价", max_length=12, choices=Rating.choices,
                                      blank=True, default="")
    comment = SealableTextField("意见", blank=True)
    at = models.DateTimeField()
    # Recorded by staff on the petitioner's behalf, in a 回访 call (issue 16 item 2).
    on_behalf = models.BooleanField("代为评价", default=False)
    follow_up = models.ForeignKey("petitions.FollowUp", verbose_name="回访记录", null=True,
                                  blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["matter", "round"], name="one_rating_per_round"),
        ]


class Supervision(SealedWithMatter, CompiledInsert, models.Model):
    """Reminders and 督办 (§40). One per (clock, kind): the sweep is idempotent."""

    class Kind(models.TextChoices):
        REMINDER = "reminder", _("临期提醒")
        OVERDUE = "overdue", _("超期督办")
        MANUAL = "manual", _("督办")
        URGE = "urge", _("催办")
        REDO = "redo", _("不满意重办督办")

    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="supervisions")
    clock = models.ForeignKey(Clock, null=True, blank=True, on_delete=models.CASCADE,
                              related_name="supervisions")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    body = models.ForeignKey(Body, verbose_name="督办对象", null=True, blank=True,
                             on_delete=models.PROTECT, related_name="supervisions")
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    note = SealableTextField(blank=True)
    feedback_due = models.DateField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    # §40 ¶1: the supervised body answers in writing (meets its S1 clock); the supervisor
    # accepts the answer (resolved) or asks again (a new feedback date and S1 clock).
    feedback_clock = models.ForeignKey(Clock, null=True, blank=True, on_delete=models.SET_NULL,
                                       related_name="+")
    feedback_text = SealableTextField("书面反馈", blank=True)
    feedback_at = models.DateTimeField(null=True, blank=True)
    feedback_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["clock", "kind"], condition=Q(clock__isnull=False),
                                    name="one_supervision_per_clock_kind"),
        ]
        indexes = [models.Index(fields=["body", "resolved_at"], name="supervision_body_open")]


class Attachment(models.Model):
    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to="attachments/%Y/%m/")
    name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    uploaded_at = models.DateTimeField(auto_now_add=True)


class MatterLink(models.Model):
    class Kind(models.TextChoices):
        SAME = "same", _("同一事项")
        RELATED = "related", _("相关事项")

    from_matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="links_out")
    to_matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="links_in")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    note = models.CharField(max_length=200, blank=True)


class Counter(models.Model):
    """Gap-free sequences for 信访件编号 and 文号, one row per (prefix, year)."""

    key = models.CharField(max_length=64, unique=True)
    value = models.PositiveIntegerField(default=0)


class IdempotencyKey(models.Model):
    """Public submissions: the same Idempotency-Key returns the same matter (issue 4)."""

    key = models.CharField(max_length=80, unique=True)
    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)


# 重大紧急 (§25) and the §36 ¶2 hearing record live in their own modules; importing them here
# registers their models.
from .models_followup import FollowUp as FollowUp  # noqa: E402
from .models_hearing import Hearing as Hearing  # noqa: E402
from .models_intel import TopicSnapshot as TopicSnapshot  # noqa: E402
from .models_oversight import Recommendation as Recommendation  # noqa: E402
from .models_tally import Tally as Tally  # noqa: E402
from .models_tally import TallyMonth as TallyMonth  # noqa: E402
from .models_tally import TallySnapshot as TallySnapshot  # noqa: E402
from .models_urgent import UrgentDeclaration as UrgentDeclaration  # noqa: E402
from .models_urgent import UrgentMeasure as UrgentMeasure  # noqa: E402
from .models_urgent import UrgentReport as UrgentReport  # noqa: E402

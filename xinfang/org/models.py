"""Organisation: divisions, bodies, staff, categories, routing rules, calendars, clock policies."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Concat, Substr
from django.utils.translation import gettext_lazy as _
from knox.models import AbstractAuthToken

from xinfang.domain.deadlines import policy_refusal
from xinfang.domain.states import Role


class Division(models.Model):
    """Administrative division, GB/T 2260 code padded to 12 digits (统计用区划代码)."""

    class Level(models.IntegerChoices):
        PROVINCE = 1, _("省")
        CITY = 2, _("市")
        COUNTY = 3, _("县")
        TOWNSHIP = 4, _("乡镇（街道）")
        VILLAGE = 5, _("村（社区）")

    code = models.CharField("区划代码", max_length=12, primary_key=True)
    name = models.CharField("名称", max_length=64)
    level = models.PositiveSmallIntegerField("层级", choices=Level.choices)
    parent = models.ForeignKey(
        "self", verbose_name="上级区划", null=True, blank=True, on_delete=models.PROTECT,
        related_name="children",
    )
    # Materialised path of codes ("33/3301/330182/…"), so "my division and below" is a
    # prefix match on an index instead of a recursive query.
    path = models.CharField(max_length=160, db_index=True, editable=False)

    class Meta:
        verbose_name = verbose_name_plural = "行政区划"
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: object, **kwargs: object) -> None:
        self.path = f"{self.parent.path}/{self.code}" if self.parent_id and self.parent else self.code
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def clean(self) -> None:
        """A division keeps its parent: matters, ledgers and the keyword index's scope record
        its path, and access by jurisdiction is a prefix of it (petitions.access), so a moved
        division would leave them answering for the old tree. A 区划调整 is a new division
        under its new code (as ``xinfang import-org`` requires)."""
        parent = self.parent if self.parent_id else None
        if parent is not None and parent.level >= self.level:
            raise ValidationError({"parent": _("上级区划“%(parent)s”的层级不高于本区划（上下级不能颠倒）")
                                  % {"parent": parent}})
        if self._state.adding:
            return
        stored = Division.objects.filter(pk=self.pk).values_list("parent_id", flat=True).first()
        if stored != self.parent_id:
            raise ValidationError({"parent": _("已有区划不能改为其他上级：事项和台账记录了区划路径；"
                                               "区划调整请按新的区划代码新增区划")})

    def path_codes(self) -> tuple[str, ...]:
        return tuple(self.path.split("/"))


class Category(models.Model):
    """内容分类 — a configurable multi-level taxonomy."""

    code = models.CharField("分类代码", max_length=32, unique=True)
    name = models.CharField("名称", max_length=64)
    parent = models.ForeignKey(
        "self", verbose_name="上级分类", null=True, blank=True, on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(max_length=200, db_index=True, editable=False)

    class Meta:
        verbose_name = verbose_name_plural = "内容分类"
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: object, **kwargs: object) -> None:
        """A moved category carries its sub-categories: their paths (by which "this category
        and below" is looked up) are rewritten under the new one in the same transaction."""
        old = (None if self._state.adding else
               Category.objects.filter(pk=self.pk).values_list("path", flat=True).first())
        self.path = f"{self.parent.path}/{self.code}" if self.parent_id and self.parent else self.code
        super().save(*args, **kwargs)  # type: ignore[arg-type]
        if old and old != self.path:  # one statement: the new prefix before each old tail
            Category.objects.filter(path__startswith=old + "/").update(
                path=Concat(models.Value(self.path), Substr("path", len(old) + 1)))

    def clean(self) -> None:
        if self.parent_id is None or self._state.adding:
            return
        stored = Category.objects.filter(pk=self.pk).values_list("path", flat=True).first()
        parent_path = self.parent.path if self.parent else ""
        if stored and (parent_path == stored or parent_path.startswith(stored + "/")):
            raise ValidationError({"parent": _("上级分类不能是本分类或其下级分类（不能形成循环）")})

    def path_codes(self) -> tuple[str, ...]:
        return tuple(self.path.split("/"))


class Body(models.Model):
    """A 机关/单位: 信访部门, functional department (事权单位), 纪检监察, 政法, government."""

    class Kind(models.TextChoices):
        XINFANG = "xinfang", _("信访部门")
        PARTY_GOV = "party_gov", _("党委政府")
        DEPARTMENT = "department", _("职能部门（事权单位）")
        TOWNSHIP = "township", _("乡镇人民政府（街道办事处）")
        DISCIPLINE = "discipline", _("纪检监察机关")
        POLITICAL_LEGAL = "political_legal", _("政法部门")

    name = models.CharField("名称", max_length=100, unique=True)
    short_name = models.CharField("简称", max_length=32, blank=True)
    kind = models.CharField("类型", max_length=20, choices=Kind.choices)
    division = models.ForeignKey(
        Division, verbose_name="所属区划（管辖范围）", on_delete=models.PROTECT, related_name="bodies"
    )
    parent = models.ForeignKey(
        "self", verbose_name="上一级机关", null=True, blank=True, on_delete=models.PROTECT,
        related_name="children", help_text="复查、复核向上一级机关提出（§35、§36）",
    )
    categories = models.ManyToManyField(
        Category, verbose_name="主管事项类别", blank=True, related_name="bodies"
    )
    doc_prefix = models.CharField("文号前缀", max_length=16, blank=True, help_text="如“安信转”")
    address = models.CharField("地址", max_length=200, blank=True)
    phone = models.CharField("电话", max_length=32, blank=True)
    reception_hours = models.CharField("接待时间", max_length=100, blank=True)
    active = models.BooleanField("在用", default=True)

    class Meta:
        verbose_name = verbose_name_plural = "机关单位"
        ordering = ["division_id", "kind", "name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_xinfang(self) -> bool:
        return self.kind == self.Kind.XINFANG

    @property
    def handles_directly(self) -> bool:
        """A body that is not a 信访部门 (nor the 党委政府 its 信访部门 works for): what is
        brought to it directly it registers, notifies (D2) and handles, forwards within its own
        system, or sends elsewhere itself (§23 ¶1–2)."""
        return self.kind not in (self.Kind.XINFANG, self.Kind.PARTY_GOV)


class User(AbstractUser):  # type: ignore[django-manager-missing]  # ApiToken: knox, untyped
    """Staff member. Citizens do not log in; they prove themselves with code + phone."""

    display_name = models.CharField("姓名", max_length=32, blank=True)
    role = models.CharField(
        "角色", max_length=20,
        choices=[(r.value, label) for r, label in [
            (Role.REGISTRAR, _("登记员")), (Role.OFFICER, _("信访干部")), (Role.HANDLER, _("承办人")),
            (Role.UNIT_HEAD, _("单位负责人")), (Role.LEADER, _("领导")), (Role.SUPERVISOR, _("督查")),
            (Role.ADMIN, _("管理员")),
        ]],
        default=Role.REGISTRAR.value,
    )
    body = models.ForeignKey(
        Body, verbose_name="所在单位", null=True, blank=True, on_delete=models.PROTECT,
        related_name="staff",
    )
    phone = models.CharField("手机", max_length=20, blank=True)
    title = models.CharField("职务", max_length=32, blank=True)
    # The second factor is a django-otp device, core.StaffTOTPDevice (xinfang.core.totp).

    class Meta:
        verbose_name = verbose_name_plural = "工作人员"

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def role_enum(self) -> Role:
        return Role(self.role)


class ApiToken(AbstractAuthToken):  # type: ignore[misc]  # knox: no types
    """An API token (django-rest-knox, ``KNOX_TOKEN_MODEL``): only its SHA-512 digest and its
    first characters (``token_key``, to find the row) are stored; it expires
    (``REST_KNOX["TOKEN_TTL"]``) and names its purpose. Issued by ``POST /api/v1/auth/token``
    after the password and the second factor; revoked by its owner (the 账号安全 page,
    ``DELETE /api/v1/auth/tokens/<key>``, log-out) or an administrator (issue 14 item 5)."""

    # knox's own field, declared again so the type checker knows User.auth_token_set.
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="auth_token_set")
    name = models.CharField(_("用途"), max_length=60, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = _("接口令牌")
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.token_key}… {self.name}".strip()


class RoutingRule(models.Model):
    """Category × division → competent unit (§22 ¶1 (2), 属地管理·分级负责·谁主管谁负责)."""

    category = models.ForeignKey(Category, verbose_name="事项类别", on_delete=models.CASCADE)
    division = models.ForeignKey(
        Division, verbose_name="适用区划（含下级）", on_delete=models.CASCADE
    )
    body = models.ForeignKey(Body, verbose_name="事权单位", on_delete=models.CASCADE)
    priority = models.PositiveSmallIntegerField("优先级（小者优先）", default=100)
    note = models.CharField("说明", max_length=200, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "分流规则"
        ordering = ["category_id", "division_id", "priority"]

    def __str__(self) -> str:
        return f"{self.category} @ {self.division} → {self.body}"


class Holiday(models.Model):
    """An administrator's calendar entry; wins over chinese-calendar (e.g. the 2027 schedule)."""

    date = models.DateField("日期", unique=True)
    is_workday = models.BooleanField("是否工作日", default=False, help_text="调休上班日勾选")
    name = models.CharField("名称", max_length=32, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "节假日与调休"
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {'上班' if self.is_workday else '休息'} {self.name}"


class HolidayYear(models.Model):
    """An administrator's statement that a year's holiday table is complete (issue 13 item 4).

    Until a year chinese-calendar does not know is confirmed here, its deadlines are computed
    from a rule-based estimate and flagged (xinfang.domain.deadlines); entering Holiday rows
    alone does not end the estimate. Confirming (or withdrawing) it recomputes every open
    clock (petitions.clocks); the edit is audited like every admin edit (audit.admin).
    """

    year = models.PositiveSmallIntegerField("年度", unique=True)
    confirmed = models.BooleanField(
        "本年节假日安排已完整录入", default=False,
        help_text="按国务院办公厅公布的当年节假日安排，已录入全部放假日和调休上班日后勾选；"
                  "勾选后本年期限不再按估算计算。")
    notice = models.CharField("依据（通知文号）", max_length=100, blank=True,
                              help_text="如“国办发明电〔2026〕×号”")

    class Meta:
        verbose_name = verbose_name_plural = "年度节假日表确认"
        ordering = ["-year"]

    def __str__(self) -> str:
        return f"{self.year} {'已确认' if self.confirmed else '未确认（估算）'}"

    def clean(self) -> None:
        if self.confirmed and not Holiday.objects.filter(date__year=self.year).exists():
            raise ValidationError({"confirmed": _(
                "尚未录入该年度的任何节假日或调休日，不能确认节假日表完整。"
                "请先在“节假日与调休”中按国务院办公厅通知录入。")})


class ClockPolicy(models.Model):
    """Configurable time limit; defaults from xinfang.domain.deadlines.DEFAULT_RULES."""

    class Unit(models.TextChoices):
        CALENDAR = "calendar", _("自然日")
        WORKING = "working", _("工作日")

    code = models.CharField("代码", max_length=16, unique=True)
    name = models.CharField("名称", max_length=64)
    days = models.PositiveSmallIntegerField("期限（天）")
    unit = models.CharField("计日方式", max_length=10, choices=Unit.choices)
    extend_on_holiday = models.BooleanField("期满日遇节假日顺延", default=True)
    warn_days = models.PositiveSmallIntegerField("临期提醒（天）", default=3)
    article = models.CharField("依据", max_length=64, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "期限规则"
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name} {self.days}{self.get_unit_display()}"

    def clean(self) -> None:
        refusal = policy_refusal(self.code, self.days, self.unit, self.extend_on_holiday)
        if refusal:
            raise ValidationError({"days": refusal})

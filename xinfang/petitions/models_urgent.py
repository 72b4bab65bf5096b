"""重大、紧急 matters (§25): who declared one, the reports it owes, the measures taken.

Imported at the end of ``models`` so Django registers these with the petitions app. Written
only by ``services.urgent``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from xinfang.core.crypto import SealableTextField
from xinfang.org.models import Body

from .models import Document, Matter, SealedWithMatter


class UrgentDeclaration(SealedWithMatter, models.Model):
    """One body's decision that a matter is 重大、紧急 (§25 ¶1); each body that holds or
    handles the matter owes its own reports, so one row per (matter, body)."""

    matter = models.ForeignKey(Matter, on_delete=models.CASCADE,
                               related_name="urgent_declarations")
    body = models.ForeignKey(Body, verbose_name="认定机关", on_delete=models.PROTECT,
                             related_name="+")
    declared_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="认定人",
                                    on_delete=models.PROTECT, related_name="+")
    declared_at = models.DateTimeField("认定时间")
    event = SealableTextField("事件情况")
    scale = models.CharField("规模", max_length=200)
    risk = SealableTextField("风险研判")
    is_xinfang = models.BooleanField("信访部门（§25 ¶2）", default=False)

    class Meta:
        verbose_name = verbose_name_plural = "重大紧急认定"
        constraints = [models.UniqueConstraint(fields=["matter", "body"],
                                               name="one_urgent_declaration_per_body")]

    def __str__(self) -> str:
        return f"{self.body} {self.declared_at:%Y-%m-%d %H:%M}"


class UrgentReport(models.Model):
    """One report or 通报 a declaration owes (§25 ¶1–2), made as a document at once and due
    within ``XINFANG_URGENT_REPORT_HOURS`` (the 条例 says 及时, no hours)."""

    class Kind(models.TextChoices):
        PARTY_GOV = "party_gov", _("报告本级党委和政府")
        NOTICE = "notice", _("通报相关主管部门和本级信访工作联席会议办公室")
        UPPER = "upper", _("报告上一级信访部门")
        NATIONAL = "national", _("报告国家信访局")

    declaration = models.ForeignKey(UrgentDeclaration, on_delete=models.CASCADE,
                                    related_name="reports")
    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="urgent_reports")
    kind = models.CharField("报告类别", max_length=12, choices=Kind.choices)
    # [{"id": body id or null, "name": "…"}]: bodies of the org tree, or a named recipient
    # outside it (国家信访局, a 联席会议办公室).
    recipients = models.JSONField("报送对象", default=list)
    document = models.OneToOneField(Document, verbose_name="报告文书", on_delete=models.PROTECT,
                                    related_name="urgent_report")
    made_at = models.DateTimeField("制作时间")
    due_at = models.DateTimeField("应报送时间")
    sent_at = models.DateTimeField("报送时间", null=True, blank=True)
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="报送人", null=True,
                                blank=True, on_delete=models.PROTECT, related_name="+")
    sent_via = models.CharField("报送方式", max_length=8, blank=True)
    overdue_at = models.DateTimeField("超时标记时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "重大紧急信息报告"
        ordering = ["declaration_id", "id"]
        constraints = [models.UniqueConstraint(fields=["declaration", "kind"],
                                               name="one_urgent_report_per_kind")]
        indexes = [models.Index(fields=["due_at"], condition=Q(sent_at__isnull=True),
                                name="urgent_report_unsent_due")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.document.number}"

    @property
    def recipient_names(self) -> str:
        return "、".join(r["name"] for r in self.recipients)


class UrgentMeasure(SealedWithMatter, models.Model):
    """A measure taken on an urgent matter (§25 ¶1 在职责范围内依法及时采取措施), recorded
    as it happens; each is also a timeline event."""

    declaration = models.ForeignKey(UrgentDeclaration, on_delete=models.CASCADE,
                                    related_name="measures")
    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="urgent_measures")
    text = SealableTextField("措施")
    taken_at = models.DateTimeField("登记时间")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="登记人",
                                    on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = verbose_name_plural = "重大紧急处置措施"
        ordering = ["taken_at", "id"]

    def __str__(self) -> str:
        return self.text[:40]

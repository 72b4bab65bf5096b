"""Assessment records (issue 17): exemptions from assessment (不纳入考核) and issued reports.

An issued report is a stored snapshot — its figures, its text, its PDF and the audit anchor at
issue time — and is never changed: a correction is a new version naming what changed.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy

from xinfang.core.crypto import SealableTextField
from xinfang.domain import indicators as ind
from xinfang.org.models import Division
from xinfang.petitions.models import Matter, SealedWithMatter

USER = settings.AUTH_USER_MODEL


class ExemptionQuerySet(models.QuerySet["Exemption"]):
    def active(self) -> ExemptionQuerySet:
        return self.filter(revoked_at__isnull=True)


class Exemption(SealedWithMatter, models.Model):
    """A matter excluded from assessment, for a reason from the fixed list, by a supervisor."""

    matter = models.ForeignKey(Matter, on_delete=models.PROTECT, related_name="exemptions")
    reason = models.CharField("不纳入考核理由", max_length=24,
                              choices=[(k, gettext_lazy(v)) for k, v in ind.EXEMPTION_REASONS.items()])
    note = SealableTextField("说明")
    decided_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField("决定时间")
    revoked_at = models.DateTimeField("撤销时间", null=True, blank=True)
    revoked_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    revoke_note = SealableTextField("撤销理由", blank=True)

    objects = ExemptionQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "不纳入考核事项"
        ordering = ["decided_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["matter"], condition=Q(revoked_at__isnull=True),
                                    name="one_active_exemption_per_matter"),
        ]

    @property
    def reason_label(self) -> str:
        from django.utils.translation import gettext

        return gettext(ind.EXEMPTION_REASONS.get(self.reason, self.reason))


class IssuedReport(models.Model):
    """An issued 日分析 / 周排名 / 月通报 / 年度报告 / 月度研判: frozen at issue."""

    class Kind(models.TextChoices):
        DAILY = "daily", "日分析"
        WEEKLY = "weekly", "周排名"
        MONTHLY = "monthly", "月通报"
        ANNUAL = "annual", "信访情况年度报告"
        ANALYSIS = "analysis", "月度研判"

    kind = models.CharField("报告", max_length=10, choices=Kind.choices)
    division = models.ForeignKey(Division, on_delete=models.PROTECT, related_name="+")
    period = models.CharField("期间", max_length=24)  # 2026-09, 2026-W36, 2026-09-07, 2026
    version = models.PositiveSmallIntegerField("版本", default=1)
    title = models.CharField("标题", max_length=200)
    data = models.JSONField("数据")
    text = models.TextField("正文")
    pdf = models.BinaryField("PDF")
    anchor = models.JSONField("审计锚点", default=dict)
    issued_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    issued_at = models.DateTimeField("印发时间")
    supersedes = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="superseded_by")
    changes = models.JSONField("更正内容", default=list, blank=True)
    correction_note = models.TextField("更正说明", blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "已印发报告"
        ordering = ["kind", "period", "version"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "division", "period", "version"],
                                    name="one_report_version"),
        ]

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding:
            raise ValueError("已印发的报告不能修改；更正请印发新版本")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ValueError("已印发的报告不能删除")

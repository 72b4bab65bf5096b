"""The three recommendations of §40 ¶1–¶3 and the written feedback on their adoption (¶4).

Imported at the end of ``models`` so Django registers it with the petitions app. Written only
by ``services.oversight``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from xinfang.core.crypto import SealableTextField
from xinfang.org.models import Body

from .models import Clock, Document, Matter, SealedWithMatter


class Recommendation(SealedWithMatter, models.Model):
    """A 信访部门's 改进工作 / 完善政策 / 追究责任 recommendation to a body (§40 ¶1–¶3), its
    建议书, and the body's written feedback on adoption within D12 (§40 ¶4)."""

    class Kind(models.TextChoices):
        IMPROVE = "improve", _("改进工作建议")  # §40 ¶1
        POLICY = "policy", _("完善政策建议")  # §40 ¶2
        ACCOUNTABILITY = "accountability", _("追究责任建议")  # §40 ¶3

    class Adoption(models.TextChoices):
        ADOPTED = "adopted", _("采纳")
        PARTIAL = "partial", _("部分采纳")
        REJECTED = "rejected", _("不采纳")

    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="recommendations")
    kind = models.CharField("建议类别", max_length=16, choices=Kind.choices)
    issuing_body = models.ForeignKey(Body, verbose_name="提出机关", on_delete=models.PROTECT,
                                     related_name="+")
    to_body = models.ForeignKey(Body, verbose_name="接收单位", on_delete=models.PROTECT,
                                related_name="recommendations_received")
    concerns_body = models.ForeignKey(Body, verbose_name="被建议追责的机关、单位", null=True,
                                      blank=True, on_delete=models.PROTECT, related_name="+")
    problem = SealableTextField("发现的问题")
    proposal = SealableTextField("建议内容")
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                  related_name="+")
    issued_at = models.DateTimeField("提出时间")
    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="+")
    clock = models.ForeignKey(Clock, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    feedback_due = models.DateField("反馈期限")
    adoption = models.CharField("采纳情况", max_length=10, choices=Adoption.choices, blank=True)
    feedback_text = SealableTextField("书面反馈", blank=True)
    feedback_at = models.DateTimeField(null=True, blank=True)
    feedback_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = verbose_name_plural = "信访工作建议"
        indexes = [models.Index(fields=["to_body", "feedback_at"], name="recommendation_open"),
                   models.Index(fields=["issued_at", "kind"], name="recommendation_issued")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.to_body_id}"

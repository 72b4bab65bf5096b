"""A §36 ¶2 hearing in a 复核: who asked for it and when, when it ran, the days not counted.

Imported at the end of ``models`` so Django registers it with the petitions app. Written only
by the ``start_hearing`` / ``end_hearing`` transitions (services.effects_hearing).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from xinfang.core.crypto import SealableTextField
from xinfang.org.models import Body

from .models import Matter, SealedWithMatter


class Hearing(SealedWithMatter, models.Model):
    """One hearing: the request (petitioner's application or the body's own motion, 鲁 §39 ¶1),
    the 复核 body that held it, its start (the pause of D11 begins) and end (the pause ends)."""

    class Requester(models.TextChoices):
        PETITIONER = "petitioner", _("信访人申请")
        BODY = "body", _("复核机关依职权决定")

    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="hearings")
    body = models.ForeignKey(Body, verbose_name="复核机关", on_delete=models.PROTECT,
                             related_name="+")
    requested_by = models.CharField("提出", max_length=12, choices=Requester.choices)
    requested_on = models.DateField("申请（提议）日期")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="登记人",
                                   null=True, on_delete=models.PROTECT, related_name="+")
    started_on = models.DateField("听证开始日期")
    ended_on = models.DateField("听证结束日期", null=True, blank=True)
    conclusion = SealableTextField("听证结论", blank=True)
    paused_days = models.PositiveSmallIntegerField("不计入复核期限的天数", default=0)

    class Meta:
        verbose_name = verbose_name_plural = "复核听证"
        ordering = ["matter_id", "started_on", "id"]

    def __str__(self) -> str:
        return f"{self.matter_id} 听证 {self.started_on}"

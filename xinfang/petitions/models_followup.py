"""回访 (issue 16 item 2): after an answer, a call between the petitioner and the body.

Imported at the end of ``models`` so Django registers it with the petitions app. Written only
by ``services.follow_up.record_follow_up``. A rating given in the call is recorded on the
petitioner's behalf: the ``Evaluation`` is marked ``on_behalf`` and points at this record.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from xinfang.core.crypto import SealableTextField

from .models import Evaluation, Matter, Petitioner, SealedWithMatter


class FollowUp(SealedWithMatter, models.Model):
    class Direction(models.TextChoices):
        OUT = "out", _("工作人员联系信访人")
        IN = "in", _("信访人联系工作人员")

    class Channel(models.TextChoices):
        PHONE = "phone", _("电话")
        SMS = "sms", _("短信")
        VISIT = "visit", _("来访面谈")
        HOME = "home", _("上门走访")
        VIDEO = "video", _("视频")
        OTHER = "other", _("其他")

    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="follow_ups")
    round = models.PositiveSmallIntegerField(default=0)  # = matter.redo_count at the call
    direction = models.CharField(_("联系方向"), max_length=4, choices=Direction.choices,
                                 default=Direction.OUT)
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("回访人"),
                              on_delete=models.PROTECT, related_name="+")
    petitioner = models.ForeignKey(Petitioner, verbose_name=_("被回访人"), null=True,
                                   blank=True, on_delete=models.SET_NULL, related_name="+")
    contact_at = models.DateTimeField(_("回访时间"))
    channel = models.CharField(_("回访方式"), max_length=8, choices=Channel.choices)
    opinion = SealableTextField(_("信访人意见"))
    rating_before = models.CharField(_("原评价"), max_length=12, blank=True)
    rating = models.CharField(_("回访评价"), max_length=12, blank=True)  # blank: unchanged
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = _("回访记录")
        ordering = ["matter_id", "contact_at", "id"]

    def __str__(self) -> str:
        return f"{self.matter_id} 回访 {self.contact_at:%Y-%m-%d}"

    @property
    def rating_label(self) -> str:
        return str(Evaluation.Rating(self.rating).label) if self.rating else ""

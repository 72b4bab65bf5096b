"""The stored result of the ``topics`` job (issue 18 item 5): hot topics over every matter of
the window, computed once; pages keep the matters each user may see (intel.snapshot)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class TopicSnapshot(models.Model):
    computed_at = models.DateTimeField(_("计算时间"), db_index=True)
    window_days = models.PositiveIntegerField(_("时间窗（日）"))
    matters = models.PositiveIntegerField(_("参与聚类的事项数"))
    seconds = models.FloatField(_("耗时（秒）"))
    # [{"ids": [matter pk, the most central first], "keywords": [[word, [pk …]], …]}], hottest
    # first; a keyword is shown to a user only when one of its matters is visible to them.
    # Only ids and keywords: titles are read at display time through the read gate.
    topics = models.JSONField(_("热点"), default=list)

    class Meta:
        verbose_name = verbose_name_plural = _("热点计算结果")
        ordering = ["-computed_at"]

    def __str__(self) -> str:
        return f"{self.computed_at:%Y-%m-%d %H:%M} ({len(self.topics)})"

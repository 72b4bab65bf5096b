"""The indicator counters (issue 17 "Speed"): kept by the services in the write's own
transaction (``xinfang.petitions.tally``), rebuilt exactly by ``xinfang rebuild-aggregates``.

Imported at the end of ``models`` so Django registers them with the petitions app. What a
matter contributes is defined once, in plain Python (``xinfang.domain.tally``).
"""

from __future__ import annotations

from django.db import models


class _Counter(models.Model):
    metric = models.CharField(max_length=24)
    day = models.DateField()
    division_id = models.CharField(max_length=12)  # domain.tally.division_key
    body_id = models.BigIntegerField()  # 0: none
    accused_id = models.BigIntegerField()  # 0: not a 检举控告
    exempt = models.BooleanField()
    bucket = models.CharField(max_length=16)
    dim = models.CharField(max_length=24)
    n = models.BigIntegerField(default=0)
    persons = models.BigIntegerField(default=0)

    class Meta:
        abstract = True


class Tally(_Counter):
    """One counter: how many rows (and people) a metric has for a day, a division, the body
    the figure is attributed to, the accused body of a 检举控告, assessed or not, a bucket and
    a dim. Written only by ``UPDATE … SET n = n + δ`` (an upsert), never read-modify-write, so
    concurrent writers add up."""

    class Meta:
        verbose_name = verbose_name_plural = "指标计数"
        constraints = [
            # The upsert's conflict target; its leading (metric, day) also serves every read
            # (a metric over a range of days).
            models.UniqueConstraint(
                fields=["metric", "day", "division_id", "body_id", "accused_id", "exempt",
                        "bucket", "dim"], name="tally_key"),
        ]


class TallyMonth(_Counter):
    """The same counters summed by month (``day``: the first of the month;
    ``domain.tally.by_month``), kept in the same upsert's transaction: readers of whole months
    (the dashboard's twelve) read these, and day rows only for the months a period or a
    "before today" filter cuts (``domain.tally.split_by_month``)."""

    class Meta:
        verbose_name = verbose_name_plural = "指标月计数"
        constraints = [
            models.UniqueConstraint(
                fields=["metric", "day", "division_id", "body_id", "accused_id", "exempt",
                        "bucket", "dim"], name="tally_month_key"),
        ]


class TallySnapshot(models.Model):
    """What one matter contributes to the counters now (``domain.tally.encode``): the next
    write subtracts it and adds the new contribution."""

    matter_id = models.BigIntegerField(primary_key=True)
    data = models.JSONField(default=list)

    class Meta:
        verbose_name = verbose_name_plural = "指标计数快照"

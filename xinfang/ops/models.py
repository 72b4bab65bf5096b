"""The record of each scheduled job run, and the workers' heartbeats.

The queue itself is django-tasks-db's table (``django_tasks_database``); a ``JobRun`` is the
operator's view of one scheduled run across its attempts: when it was due, which worker ran
it, how many attempts, what it returned or why it failed. One row per job and schedule slot
(a unique constraint): however many workers schedule, a slot is enqueued once.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class JobRun(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("运行中")
        RETRYING = "retrying", _("等待重试")
        SUCCEEDED = "succeeded", _("成功")
        FAILED = "failed", _("失败")

    job = models.CharField(_("作业"), max_length=64)
    slot = models.DateTimeField(_("计划时间"))
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices,
                              default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("已尝试次数"), default=0)
    max_attempts = models.PositiveSmallIntegerField(_("最多尝试次数"), default=3)
    task_id = models.CharField(_("任务编号"), max_length=64, blank=True)
    enqueued_at = models.DateTimeField(_("入队时间"), auto_now_add=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    worker = models.CharField(_("执行进程"), max_length=128, blank=True)
    params = models.JSONField(_("参数"), default=dict, blank=True)
    result = models.JSONField(_("结果"), null=True, blank=True)
    error = models.TextField(_("错误"), blank=True)

    class Meta:
        verbose_name = _("作业运行记录")
        verbose_name_plural = _("作业运行记录")
        ordering = ["-slot", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["job", "slot"], name="ops_jobrun_one_per_slot"),
        ]
        indexes = [
            models.Index(fields=["job", "status", "-finished_at"], name="ops_jobrun_job_status"),
        ]

    def __str__(self) -> str:
        return f"{self.job} {self.slot:%Y-%m-%d %H:%M} {self.get_status_display()}"


class WorkerHeartbeat(models.Model):
    """A job worker says it is alive every few seconds (``xinfang worker``)."""

    worker_id = models.CharField(max_length=64, primary_key=True)
    host = models.CharField(max_length=128)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    seen_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("作业进程心跳")
        verbose_name_plural = _("作业进程心跳")

    def __str__(self) -> str:
        return f"{self.worker_id}@{self.host}:{self.pid}"


class KeyRotation(models.Model):
    """How far ``xinfang rotate-field-key`` has re-encrypted one model under one new key: the
    rows up to ``last_pk`` are done (the command resumes after it)."""

    key_fingerprint = models.CharField(_("新密钥指纹"), max_length=16)
    model_label = models.CharField(_("数据表"), max_length=100)
    last_pk = models.BigIntegerField(_("已处理到主键"), default=0)
    rows = models.BigIntegerField(_("已重新加密行数"), default=0)
    started_at = models.DateTimeField(_("开始时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("字段密钥轮换进度")
        verbose_name_plural = _("字段密钥轮换进度")
        constraints = [
            models.UniqueConstraint(fields=["key_fingerprint", "model_label"],
                                    name="ops_keyrotation_one_per_model"),
        ]

    def __str__(self) -> str:
        return f"{self.key_fingerprint} {self.model_label} ≤{self.last_pk}"

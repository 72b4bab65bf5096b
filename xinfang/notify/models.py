"""What a petitioner chose (per matter), what a staff member prefers, and every delivery.

Personal data stays encrypted at rest: a delivery's address and text are Fernet fields; lists
show ``recipient_label`` (masked phone, masked e-mail, a staff member's name or a unit).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from xinfang.core.crypto import EncryptedTextField
from xinfang.core.fastinsert import CompiledInsert
from xinfang.org.models import Body
from xinfang.petitions.models import Event, Matter


class MatterContact(CompiledInsert, models.Model):
    """The petitioner's choices for one matter: SMS on or off, an optional e-mail address
    given with consent and confirmed through a link sent to it."""

    matter = models.OneToOneField(Matter, on_delete=models.CASCADE, related_name="contact")
    sms_opt_out = models.BooleanField(_("不接收短信"), default=False)
    sms_opt_out_at = models.DateTimeField(null=True, blank=True)
    # The query code goes in the first SMS only: set once that SMS is planned.
    code_sent = models.BooleanField(default=False)
    email = EncryptedTextField(_("电子邮箱"), blank=True)
    email_consent_at = models.DateTimeField(_("同意邮件通知时间"), null=True, blank=True)
    email_confirmed_at = models.DateTimeField(_("邮箱确认时间"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = _("信访人通知设置")

    @property
    def email_active(self) -> bool:
        return bool(self.email and self.email_consent_at and self.email_confirmed_at)


class StaffPreference(models.Model):
    """How a staff member is told: each notice as it happens, one daily digest, or not at
    all (the queue still shows everything); and whether by SMS as well as e-mail."""

    class Mode(models.TextChoices):
        EACH = "each", _("逐条通知")
        DIGEST = "digest", _("每日汇总")
        OFF = "off", _("不通知")

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="notify_preference")
    mode = models.CharField(_("通知方式"), max_length=8, choices=Mode.choices,
                            default=Mode.EACH)
    sms = models.BooleanField(_("同时发送短信"), default=False)

    class Meta:
        verbose_name = verbose_name_plural = _("工作人员通知偏好")


class Delivery(CompiledInsert, models.Model):
    """One message to one recipient on one channel, with every attempt."""

    class Audience(models.TextChoices):
        PETITIONER = "petitioner", _("信访人")
        STAFF = "staff", _("工作人员")
        UNIT = "unit", _("单位")

    class Channel(models.TextChoices):
        SMS = "sms", _("短信")
        EMAIL = "email", _("电子邮件")
        APP = "app", _("政务应用")
        NONE = "none", _("无可用地址")  # a unit no notice could reach (planner._to_staff)

    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        SENDING = "sending", _("发送中")
        RETRYING = "retrying", _("等待重试")
        SENT = "sent", _("已发送")
        FAILED = "failed", _("发送失败")
        SKIPPED = "skipped", _("未发送")
        HELD = "held", _("待汇总")
        DIGESTED = "digested", _("已汇总发送")

    matter = models.ForeignKey(Matter, null=True, blank=True, on_delete=models.CASCADE,
                               related_name="deliveries")
    event = models.ForeignKey(Event, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="deliveries")
    kind = models.CharField(_("通知类型"), max_length=32)
    audience = models.CharField(_("对象"), max_length=12, choices=Audience.choices)
    channel = models.CharField(_("渠道"), max_length=8, choices=Channel.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="+")
    body = models.ForeignKey(Body, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")
    recipient = EncryptedTextField(_("收件地址"))
    recipient_label = models.CharField(_("收件人"), max_length=100)
    subject = models.CharField(_("标题"), max_length=200, blank=True)
    text = EncryptedTextField(_("内容"))
    data = models.JSONField(default=dict, blank=True)  # documents to attach, the link
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices,
                              default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("已尝试次数"), default=0)
    max_attempts = models.PositiveSmallIntegerField(_("最多尝试次数"), default=3)
    log = models.JSONField(_("发送记录"), default=list, blank=True)
    last_error = models.CharField(_("错误"), max_length=300, blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(_("生成时间"), auto_now_add=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # When a worker moved it to 发送中: the claim holds for XINFANG_NOTIFY_LEASE_SECONDS (the
    # worker renews it during a long batch); a 发送中 older than that is claimed again
    # (delivery.lease: a worker that died mid-send).
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = _("通知发送记录")
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["matter", "created_at"], name="delivery_matter"),
            models.Index(fields=["status", "created_at"], name="delivery_open",
                         condition=Q(status__in=["queued", "retrying", "held"])),
            models.Index(fields=["claimed_at"], name="delivery_sending",
                         condition=Q(status="sending")),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.recipient_label} ({self.status})"

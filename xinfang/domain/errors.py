"""Domain errors. Views and the API map them to 400/403/409 with the Chinese message."""

from __future__ import annotations

from xinfang.domain.i18n import gettext_noop

FIELD_LABELS = {
    "to_body": gettext_noop("接收单位"),
    "report_due": gettext_noop("办结报告期限"),
    "competent_body_name": gettext_noop("有权处理机关"),
    "reason": gettext_noop("理由"),
    "reason_code": gettext_noop("理由代码"),
    "route": gettext_noop("处理途径和程序"),
    "route31": gettext_noop("法定途径"),
    "procedure": gettext_noop("导入的程序"),
    "days": gettext_noop("延长天数"),
    "outcome": gettext_noop("处理结论"),
    "facts": gettext_noop("查明事实"),
    "opinion": gettext_noop("处理意见"),
    "legal_basis": gettext_noop("法律法规依据"),
    "served_on": gettext_noop("送达日期"),
    "service_method": gettext_noop("送达方式"),
    "agreement": gettext_noop("协议内容"),
    "rating": gettext_noop("评价"),
    "review_outcome": gettext_noop("复查（复核）结论"),
    "hearing_on": gettext_noop("听证日期"),
    "conclusion": gettext_noop("听证结论"),
}


class DomainError(Exception):
    """A rule of the procedure refuses the request. ``message`` is shown to the user."""

    status = 409

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class IllegalTransition(DomainError):
    status = 409


class Forbidden(DomainError):
    status = 403


class GuardFailed(DomainError):
    status = 409


class MissingFields(DomainError):
    status = 400

    def __init__(self, fields: list[str]) -> None:
        self.fields = fields
        names = "、".join(FIELD_LABELS.get(f, f) for f in fields)
        super().__init__(f"请填写：{names}")


class NoRoute(DomainError):
    status = 409

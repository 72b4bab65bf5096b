"""Domain errors. Views and the API map them to 400/403/409 with the Chinese message."""

from __future__ import annotations

FIELD_LABELS = {
    "to_body": "接收单位",
    "report_due": "办结报告期限",
    "competent_body_name": "有权处理机关",
    "reason": "理由",
    "reason_code": "理由代码",
    "route": "处理途径和程序",
    "route31": "法定途径",
    "procedure": "导入的程序",
    "days": "延长天数",
    "outcome": "处理结论",
    "facts": "查明事实",
    "opinion": "处理意见",
    "legal_basis": "法律法规依据",
    "served_on": "送达日期",
    "service_method": "送达方式",
    "agreement": "协议内容",
    "rating": "评价",
    "review_outcome": "复查（复核）结论",
    "hearing_on": "听证日期",
    "conclusion": "听证结论",
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

"""Domain errors. Views and the API map them to 400/403/409 with the Chinese message."""

from __future__ import annotations


class DomainError(Exception):
    """A rule of the procedure refuses the request. ``message`` is shown to the user."""

    status = 409
    # The input the error is about (a form field's name), where one is: the page ties the
    # message to that control (WCAG 3.3.1); "" for an error about the request as a whole.
    field = ""

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
        from .fields import LABELS  # fields → states → errors: imported when raised

        self.fields = fields
        names = "、".join(LABELS.get(f, f) for f in fields)
        super().__init__(f"请填写：{names}")


class NoRoute(DomainError):
    status = 409

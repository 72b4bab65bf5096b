"""The one redaction of every door (issue 14 item 3, §30 ¶3): the matter page, the API's
matter and document endpoints, the documents' HTML and PDF, and the Excel export all ask
``for_viewer`` what a user may read of a matter's free text.

Rule: when the petitioner's identity is hidden from the viewer (``access.can_see_identity`` is
false: outside the handling chain of a confidential matter, or an anonymous matter) and the
viewer has not revealed it through the audited act, the free text — title, 诉求, 事实与理由,
timeline notes, dispatch texts, documents' snapshots — is shown with the petitioners' names,
ID and phone numbers and addresses, and every identity-like number, replaced by
“（依法保密）” (``xinfang.domain.redact``). Who is in the chain is ``access`` (by role and scope).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from xinfang.domain import redact
from xinfang.org.models import User

from . import access
from .models import Dispatch, Matter

REDACTED = redact.REDACTED


@dataclass(frozen=True)
class Redaction:
    active: bool
    secrets: tuple[str, ...] = ()

    def text(self, value: str) -> str:
        return redact.scrub_text(value, self.secrets) if self.active and value else value

    def data(self, value: Any) -> Any:
        return redact.scrub(value, self.secrets) if self.active else value


NONE = Redaction(False)


def of_matter(matter: Matter) -> Redaction:
    """The redaction of ``matter``'s text for a reader outside its chain."""
    values = [v for p in matter.petitioners.all()
              for v in (p.name, p.id_number, p.phone, p.address)]
    return Redaction(True, redact.secrets_of(values))


def hides_identity(user: User, matter: Matter,
                   dispatches: Iterable[Dispatch] | None = None) -> bool:
    """The petitioner's identity (and so the identity in free text) is hidden from ``user``."""
    return not access.can_see_identity(user, matter, dispatches)


def for_viewer(user: User, matter: Matter, dispatches: Iterable[Dispatch] | None = None, *,
               revealed: bool = False) -> Redaction:
    """What ``user`` may read of ``matter``'s free text; ``revealed`` after the audited reveal
    (``services.log_identity_view``, which checked ``access.may_reveal``)."""
    if revealed or not hides_identity(user, matter, dispatches):
        return NONE
    return of_matter(matter)


DISPATCH_TEXTS = ("instructions", "objection_reason", "report_text", "assist_reply")


def apply_to_page(red: Redaction, *, events: Iterable[Any] = (),
                  dispatches: Iterable[Dispatch] = (), supervisions: Iterable[Any] = (),
                  evaluations: Iterable[Any] = ()) -> None:
    """Redact the loaded rows a page shows, in memory (never saved: the rows are read-only
    copies of this request's)."""
    if not red.active:
        return
    for e in events:
        e.note = red.text(e.note)
        e.data = red.data(e.data)
    for d in dispatches:
        for name in DISPATCH_TEXTS:
            setattr(d, name, red.text(getattr(d, name)))
    for s in supervisions:
        s.note = red.text(s.note)
        s.feedback_text = red.text(s.feedback_text)
    for v in evaluations:
        v.comment = red.text(v.comment)


def apply_to_detail(red: Redaction, data: dict[str, Any]) -> dict[str, Any]:
    """The API's matter detail (a serialised dict) as the matter page shows it."""
    if not red.active:
        return data
    for name in ("title", "request", "content"):
        data[name] = red.text(data[name])
    for e in data.get("events", []):
        e["note"] = red.text(e["note"])
    for d in data.get("dispatches", []):
        for name in DISPATCH_TEXTS:
            if name in d:
                d[name] = red.text(d[name])
    return data

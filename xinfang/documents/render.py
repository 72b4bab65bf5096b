"""Render a ``Document`` (procedure.md §6) from its stored snapshot.

Every document carries the issuing body and seal, the 文号, the matter number and 查询码, the
petitioner (or representatives), the date and the service record (§6, preamble). What each kind
adds is in ``xinfang/templates/documents/<kind>.html``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from django.template.loader import render_to_string

from xinfang.core.i18n import source_language
from xinfang.domain import redact

if TYPE_CHECKING:
    from xinfang.petitions.models import Document, Matter, Petitioner

# §30 ¶3 (and §5.1 of procedure.md): a reporter's identity is not shown outside the chain.
REDACTED = redact.REDACTED

_CN_ITEM = {1: "（一）", 2: "（二）", 3: "（三）", 4: "（四）", 5: "（五）", 6: "（六）"}
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def cn_date(value: date | str | None) -> str:
    """``2026-05-20`` → ``2026年5月20日``; anything else is returned unchanged."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        if not _ISO_DATE.match(value):
            return value
        value = date.fromisoformat(value)
    return f"{value.year}年{value.month}月{value.day}日"


def _mask(value: str, head: int, tail: int) -> str:
    if len(value) <= head + tail:
        return value
    return value[:head] + "*" * (len(value) - head - tail) + value[-tail:]


@dataclass(frozen=True)
class PetitionerView:
    name: str
    id_number: str
    phone: str
    address: str
    is_representative: bool


def _petitioners(matter: Matter) -> list[Petitioner]:
    # The lead (主访人) first, then in the order registered.
    return sorted(matter.petitioners.all(), key=lambda p: (not p.is_lead, p.pk))


def _petitioner_line(matter: Matter, people: list[PetitionerView]) -> tuple[str, str]:
    """(label, names) for the header: representatives only for a collective matter (§20 ¶3)."""
    if not people:
        return "信访人", "匿名" if matter.is_anonymous else "（未登记）"
    shown = people
    label = "信访人"
    if matter.is_collective:
        reps = [p for p in people if p.is_representative]
        if reps:
            shown, label = reps, "信访人代表"
    names = "、".join(p.name for p in shown)
    total = max(matter.headcount, len(people))
    if matter.is_collective and total > len(shown):
        names += f"等{total}人"
    return label, names


def _secrets(people: list[Petitioner]) -> tuple[str, ...]:
    return redact.secrets_of(v for p in people for v in (p.name, p.id_number, p.phone, p.address))


def _format_dates(value: Any) -> Any:
    if isinstance(value, str):
        return cn_date(value)
    if isinstance(value, dict):
        return {k: _format_dates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_format_dates(v) for v in value]
    return value


def build_context(document: Document, *, redact_identity: bool = False) -> dict[str, Any]:
    """Everything the templates see; no model instance reaches them except ``body``."""
    matter = document.matter
    body = document.issued_by
    # A document that leaves the handling chain may carry no identity at all (§30 ¶3), e.g.
    # a 重大紧急 report on a 检举控告 (petitions.services.urgent): its snapshot says so.
    redact_identity = redact_identity or bool((document.context or {}).get("redact_identity"))
    raw = _petitioners(matter)
    if redact_identity:
        people = [PetitionerView(REDACTED, REDACTED if p.id_number else "",
                                 REDACTED if p.phone else "", REDACTED if p.address else "",
                                 p.is_representative) for p in raw]
    else:
        people = [PetitionerView(p.name, _mask(p.id_number, 6, 4), _mask(p.phone, 3, 4),
                                 p.address, p.is_representative) for p in raw]
    label, names = _petitioner_line(matter, people)
    if redact_identity and raw:
        names = REDACTED
    snapshot: dict[str, Any] = dict(document.context or {})
    facts = {
        "request": matter.request,
        "content": matter.content,
        "channel": matter.get_channel_display(),
        "klass": matter.get_klass_display(),
        "headcount": matter.headcount,
    }
    if redact_identity:
        # Free text (诉求, 事实与理由, 处理意见) may repeat a name, ID or phone number: the one
        # scrubber of every door (xinfang.petitions.redaction, issue 14 item 3).
        secrets = _secrets(raw)
        snapshot = redact.scrub(snapshot, secrets)
        facts = redact.scrub(facts, secrets)
    c = _format_dates(snapshot)
    if "route31" in c:
        c["route31_cn"] = _CN_ITEM.get(int(c["route31"]), f"（{c['route31']}）")
    return {
        "doc": document,
        "kind": document.kind,
        "title": c.get("doc_title") or document.get_kind_display(),  # 不再受理告知书 (§36 ¶3)
        "number": document.number,
        "issuer": c.get("issuer") or body.name,
        "body": body,
        "c": c,
        "m": facts,
        "matter_number": c.get("matter_number") or matter.number,
        "query_code": c.get("query_code") or matter.query_code,
        "issued_on": c.get("issued_on") or cn_date(document.issued_at.date()),
        "petitioner_label": label,
        "petitioner_names": names,
        "petitioners": people,
        "redacted": redact_identity,
        "to_petitioner": document.to_petitioner,
        "service_method": document.service_method,
        "served_on": cn_date(document.served_on),
    }


def render_html(document: Document, *, redact_identity: bool = False) -> str:
    """The document as a standalone HTML page (A4 print CSS included).

    ``redact_identity=True`` replaces the petitioners' names, ID and phone numbers and addresses
    with “（依法保密）”, also inside free text — for 检举控告 matters shown outside the handling
    chain (§30 ¶3).
    """
    with source_language():  # 文书 are official documents: Chinese whatever the reader's language
        ctx = build_context(document, redact_identity=redact_identity)
        return render_to_string(f"documents/{document.kind}.html", ctx)


def render_pdf(document: Document, *, redact_identity: bool = False) -> bytes:
    """The document as an A4 PDF with the Noto CJK fonts embedded (recipes.md §4a)."""
    from weasyprint import HTML  # import costs ~0.4 s: only when a PDF is asked for

    html = render_html(document, redact_identity=redact_identity)
    pdf: bytes = HTML(string=html).write_pdf()
    return pdf

"""Assessment acts (issue 17, §39): exclusion from assessment (不纳入考核) and its revocation.

Only a supervisor decides, only for a reason from the fixed list
(``domain.indicators.EXEMPTION_REASONS``), with a written note; each decision is audited and
the issued reports list the exemptions of their period in an annex.
"""

from __future__ import annotations

from datetime import date

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from xinfang.domain import indicators as ind
from xinfang.domain.errors import GuardFailed
from xinfang.org.models import Division, User
from xinfang.petitions import permissions, tally
from xinfang.petitions.models import Matter

from ..models_assessment import Exemption
from ._common import _audit, _subtree


@transaction.atomic
def exempt(matter: Matter, *, user: User, reason: str, note: str) -> Exemption:
    permissions.require(user, "exempt_from_assessment", path=matter.division_path)
    if reason not in ind.EXEMPTION_REASONS:
        raise GuardFailed("请从规定的理由中选择不纳入考核的理由")
    if not note.strip():
        raise GuardFailed("请说明不纳入考核的具体情况和依据")
    try:
        with transaction.atomic():
            e = Exemption.objects.create(matter=matter, reason=reason, note=note.strip()[:2000],
                                         decided_by=user, decided_at=timezone.now())
            tally.refresh(matter.pk, exempt=True)  # its rows leave the assessed counters
    except IntegrityError as err:
        raise GuardFailed("该事项已决定不纳入考核") from err
    _audit("exempt_from_assessment", user, e, matter_id=matter.pk, reason=reason)
    return e


@transaction.atomic
def revoke_exemption(exemption: Exemption, *, user: User, note: str) -> Exemption:
    permissions.require(user, "exempt_from_assessment", path=exemption.matter.division_path)
    e = Exemption.objects.select_for_update().get(pk=exemption.pk)
    if e.revoked_at is not None:
        raise GuardFailed("该决定已撤销")
    if not note.strip():
        raise GuardFailed("请说明撤销的理由")
    # Saved through the model: the note is sealed on a confidential matter (issue 14 item 13).
    e.revoked_at, e.revoked_by, e.revoke_note = timezone.now(), user, note.strip()[:2000]
    e.save(update_fields=["revoked_at", "revoked_by", "revoke_note"])
    tally.refresh(e.matter_id, exempt=False)
    _audit("revoke_exemption", user, e, matter_id=e.matter_id)
    return e


def exemptions_for(division: Division, end: date | None = None) -> QuerySet[Exemption]:
    """The exemptions in force in ``division`` (for a report: decided by its period's end)."""
    qs = Exemption.objects.active().filter(_subtree(division.path, "matter__division_path"))
    if end is not None:
        qs = qs.filter(decided_at__date__lte=end)
    return qs.select_related("matter", "decided_by").order_by("decided_at", "id")

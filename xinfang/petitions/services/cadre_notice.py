"""§30 ¶2: the 通报 of a petition about a cadre to the 组织（人事）部门.

"党委和政府信访部门应当按照干部管理权限向组织（人事）部门通报反映干部问题的信访情况". The
信访部门 (or 党委政府) that registered the petition records the 通报 — to whom, what — and
issues the 反映干部问题信访情况通报, a document that goes to that department and never to the
petitioner. It names the cadre and the matter, never the reporter (§30 ¶3: the 组织（人事）部门
follows up the cadre, not the reporter).
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext_noop

from xinfang.audit import services as audit
from xinfang.domain import fields as df
from xinfang.domain.errors import Forbidden, GuardFailed, MissingFields
from xinfang.org.models import Body, User

from .. import permissions
from ..models import Document, Matter
from .records import issue_document
from .records import record_event as _event

NOTIFYING_KINDS = frozenset({Body.Kind.XINFANG, Body.Kind.PARTY_GOV})


def refusal(user: User, matter: Matter) -> str | None:
    """Why ``user`` may not 通报 ``matter`` beyond the act's roles and scope, or None."""
    holder = matter.holder
    if user.body_id != holder.pk or holder.kind not in NOTIFYING_KINDS:
        return "反映干部问题的信访情况，由登记该事项的党委和政府信访部门按照干部管理权限通报（§30 ¶2）"
    if not matter.accused_name.strip():
        return "该事项未登记被反映人：通报的是反映干部问题的信访情况，请先登记被反映的干部（§30 ¶2）"
    return None


def may_notify_personnel(user: User, matter: Matter) -> bool:
    """Whether the page should offer the 通报 (the act's permission and its guard)."""
    return permissions.may(user, "notify_personnel", matter=matter) and refusal(user, matter) is None


def notify_personnel(matter: Matter, *, user: User, personnel_body: str, text: str) -> Document:
    """Record and document the 通报 to the 组织（人事）部门 (§30 ¶2)."""
    values = {"personnel_body": personnel_body.strip(), "text": text.strip()}
    missing = [k for k, v in values.items() if not v]
    if missing:
        raise MissingFields(missing)
    for name, value in values.items():
        limit = df.FIELDS[name].max_length
        if limit is not None and len(value) > limit:
            raise GuardFailed(f"{df.FIELDS[name].label}不能超过{limit}字")
    with transaction.atomic():
        permissions.require(user, "notify_personnel", matter=matter)
        why = refusal(user, matter)
        if why:
            if user.body_id != matter.holder_id:
                raise Forbidden(why)
            raise GuardFailed(why)
        accused_body = matter.accused_body
        doc = issue_document(matter, Document.Kind.CADRE_NOTICE, matter.holder, {
            "to_body": values["personnel_body"], "accused_name": matter.accused_name,
            "accused_body": accused_body.name if accused_body is not None else "",
            "text": values["text"], "basis": "§30 ¶2", "redact_identity": True,
        }, to_petitioner=False)
        _event(matter, "notify_personnel", gettext_noop("向组织（人事）部门通报"), matter.state,
               matter.state, user, "", note=f"通报{values['personnel_body']}（{doc.number}）",
               public=False)
        audit.record("notify_personnel", actor=user, object_type="document", object_id=doc.pk,
                     matter_id=matter.pk, data={"to": values["personnel_body"]})
    return doc

"""The one place that decides which matters a user may see.

Rules (issue 4): role × jurisdiction × unit.
- 信访部门, 党委政府, leaders and supervisors see matters in their division and below, plus
  anything held by or dispatched to their own body.
- Other bodies (事权单位, townships, 纪检, 政法) see only what they hold, what was 转送/交办
  to them, or what they review.
- §30 ¶3: a 检举控告 matter is never visible to the accused unit.
"Missing" and "not yours" answer the same (Http404).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from xinfang.domain.states import Klass, Role
from xinfang.org.models import Body, User

from .models import Dispatch, Matter, Petitioner

JURISDICTION_ROLES = {Role.LEADER, Role.SUPERVISOR}
JURISDICTION_KINDS = {Body.Kind.XINFANG, Body.Kind.PARTY_GOV}


def visible_matters(user: User) -> QuerySet[Matter]:
    # Mirrored by scope_key and index_scope below and by census.census_q (the statistics'
    # and the early warnings' counters): change all four together.
    qs = Matter.objects.all()
    if not user.is_authenticated:
        return qs.none()
    if user.is_superuser or user.role == Role.ADMIN:
        return qs
    body = user.body
    if body is None:
        return qs.none()
    own = (Q(holder_id=body.pk) | Q(lead_body_id=body.pk) | Q(review_body_id=body.pk)
           | Q(recheck_body_id=body.pk)
           | Q(Exists(Dispatch.objects.filter(matter_id=OuterRef("pk"), to_body_id=body.pk))))
    if body.kind in JURISDICTION_KINDS or Role(user.role) in JURISDICTION_ROLES:
        path = body.division.path
        own |= Q(division_path=path) | Q(division_path__startswith=path + "/")
    return qs.filter(own).exclude(accused_by(body.pk))


def scope_key(user: User) -> tuple[object, ...]:
    """Everything :func:`visible_matters` and :func:`index_scope` depend on, as a key: two
    users with the same key see the same matters, so SQL compiled from their read gate can
    be kept under it (filters.search). A change of the user's body, role or the body's
    jurisdiction (its kind, its division) is a different key — there is nothing to
    invalidate. Mirrors visible_matters: change both together."""
    if not user.is_authenticated:
        return ("anonymous",)
    if user.is_superuser or user.role == Role.ADMIN:
        return ("all",)
    body = user.body
    if body is None:
        return ("none",)
    if body.kind in JURISDICTION_KINDS or Role(user.role) in JURISDICTION_ROLES:
        return ("jurisdiction", body.pk, body.division.path)
    return ("body", body.pk)


def index_scope(user: User) -> list[str] | None:
    """The same rule as :func:`visible_matters` as scope tokens of the keyword index
    (domain.grams.scope; issue 19 item 2): the user's body, and its division for a body or
    role with a jurisdiction; a matter is found if it carries any of them. None: no
    narrowing (an administrator). The rows found are still checked against
    :func:`visible_matters`."""
    from xinfang.domain import grams

    if not user.is_authenticated or user.is_superuser or user.role == Role.ADMIN:
        return None
    body = user.body
    if body is None:
        return grams.scope_tokens(0, None)  # nothing: no body has id 0
    place = None
    if body.kind in JURISDICTION_KINDS or Role(user.role) in JURISDICTION_ROLES:
        place = body.division.path.rsplit("/", 1)[-1]
    return grams.scope_tokens(body.pk, place)


def accused_by(body_id: int) -> Q:
    """§30 ¶3: the 检举控告 matters that accuse ``body_id``; never shown to it."""
    return Q(klass=Klass.REPORT.value, accused_body_id=body_id)


def get_matter_for_user(user: User, pk: int | str) -> Matter:
    try:
        return visible_matters(user).select_related(
            "holder", "division", "category", "lead_body", "review_body", "recheck_body",
            "registered_by", "repeat_of").get(pk=int(pk))
    except (Matter.DoesNotExist, ValueError, TypeError) as e:
        raise Http404("事项不存在") from e


def in_handling_chain(user: User, matter: Matter,
                      dispatches: Iterable[Dispatch] | None = None) -> bool:
    """The bodies that hold, handle, review or received the matter."""
    body_id = user.body_id
    if body_id is None:
        return False
    if body_id in (matter.holder_id, matter.lead_body_id, matter.review_body_id,
                   matter.recheck_body_id):
        return True
    if dispatches is None:
        return Dispatch.objects.filter(matter=matter, to_body_id=body_id).exists()
    return any(d.to_body_id == body_id for d in dispatches)


def can_open(user: User, matter: Matter) -> bool:
    """Whether the read gate lets ``user`` open ``matter`` (one indexed query)."""
    return visible_matters(user).filter(pk=matter.pk).exists()


# The handling chain of a confidential matter (a 检举控告, or a petitioner who asked for
# confidentiality), defined once by role and scope (§30 ¶3, issue 14 item 3): staff who do the
# work — the registering 信访部门's registrars and officers, the handling body's handlers,
# unit heads and officers — at a body that holds, handles, reviews or received the matter.
# Leaders, 督查, administrators and upper bodies are not in it: they see the matter with the
# identity masked and may reveal it only through the audited act (``may_reveal``), which
# needs the second factor. The accused unit is never in it.
CHAIN_ROLES = frozenset({Role.REGISTRAR, Role.OFFICER, Role.HANDLER, Role.UNIT_HEAD})
REVEAL_ROLES = frozenset({Role.LEADER, Role.OFFICER, Role.ADMIN})


def is_confidential(matter: Matter) -> bool:
    return bool(matter.is_report or matter.confidential)


def confidential_q() -> Q:
    """The confidential matters (``Matter.seals_text``): their free text is encrypted at rest
    and they stay out of the text models — the training rows, the same-matter index, the
    topics and warnings (issue 14 item 13). Use as ``.exclude(confidential_q())``."""
    return Q(klass=Klass.REPORT.value) | Q(confidential=True)


def is_accused(user: User, matter: Matter) -> bool:
    return user.body_id is not None and matter.accused_body_id == user.body_id


def in_identity_chain(user: User, matter: Matter,
                      dispatches: Iterable[Dispatch] | None = None) -> bool:
    """Whether ``user`` is in the handling chain of ``matter`` by role and scope."""
    if is_accused(user, matter) or user.role not in CHAIN_ROLES:
        return False
    return in_handling_chain(user, matter, dispatches)


def confidential_ok(user: User, matter: Matter,
                    dispatches: Iterable[Dispatch] | None = None) -> bool:
    """What carries the petitioner's identity (the identity itself, scanned letters) may
    reach ``user``: never the accused unit (§30 ¶3); for a 检举控告 or a matter whose
    petitioner asked for confidentiality (沪 §14 (5), 京 §22 (4)) only the handling chain
    (redacted copies to everyone else, procedure.md §5.1)."""
    if is_accused(user, matter):
        return False
    if is_confidential(matter):
        return in_identity_chain(user, matter, dispatches)
    return True


def can_see_identity(user: User, matter: Matter,
                     dispatches: Iterable[Dispatch] | None = None) -> bool:
    """Whether the petitioner's identity may be shown to ``user`` (anonymous matters have
    none to show)."""
    return not matter.is_anonymous and confidential_ok(user, matter, dispatches)


def may_reveal(user: User, matter: Matter,
               dispatches: Iterable[Dispatch] | None = None) -> bool:
    """The audited reveal (``services.log_identity_view``): whoever may see the identity,
    and — for a confidential matter — leaders, officers and administrators outside the chain
    who may open the matter and log in with a second factor. Never the accused unit."""
    if matter.is_anonymous or is_accused(user, matter):
        return False
    if can_see_identity(user, matter, dispatches):
        return True
    if not (user.is_superuser or user.role in REVEAL_ROLES):
        return False
    from xinfang.core import totp

    return totp.has_device(user) and can_open(user, matter)


def get_matter_for_citizen(code: str, phone: str) -> Matter:
    """The citizen proves the matter is theirs with the query code and the phone on file."""
    return petitioner_for_citizen(code, phone).matter


def petitioner_for_citizen(code: str, phone: str) -> Petitioner:
    """The petitioner of the matter with query code ``code`` whose phone on file is ``phone``
    (with ``.matter`` loaded); Http404 when none is."""
    from xinfang.core.crypto import blind_indexes

    code = (code or "").strip().upper()
    phone = (phone or "").strip()
    if not code or not phone:
        raise Http404("查询码或手机号不正确")
    p = (Petitioner.objects.filter(matter__query_code=code,
                                   phone_index__in=blind_indexes(phone, "phone"))
         .select_related("matter__holder", "matter__lead_body", "matter__division")
         .order_by("id").first())
    if p is None:
        raise Http404("查询码或手机号不正确")
    return p

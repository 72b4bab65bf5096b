"""The named 承办人 inside the unit handling a matter, and 回避 (§28 ¶3).

A unit's head or leader names the 承办人 from the unit's own staff and names another when the
first leaves or steps aside. A member of staff with a direct interest in the matter or in the
petitioner is excluded (回避): on their own declaration, or recorded by the unit on the
petitioner's request (沪 §24 lets the body decide). The excluded person can take no act on the
matter, and cannot be named its 承办人; if they were, the matter waits for a new one.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext_noop

from xinfang.audit import services as audit
from xinfang.domain.errors import GuardFailed
from xinfang.org.models import User

from .. import permissions
from ..models import Matter
from .records import record_event


def _staff_of(matter_body_id: int | None, user_id: int) -> User:
    if matter_body_id is None:
        raise GuardFailed("事项尚无办理单位")
    try:
        return User.objects.get(pk=user_id, body_id=matter_body_id, is_active=True)
    except User.DoesNotExist as e:
        raise GuardFailed("承办人应为办理单位的在岗工作人员") from e


def assign_handler(matter: Matter, *, user: User, handler_id: int) -> Matter:
    """Name (or rename) the 承办人 of the unit handling the matter."""
    with transaction.atomic():
        matter = Matter.objects.select_for_update(of=("self",)).get(pk=matter.pk)
        permissions.require(user, "assign_handler", matter=matter)
        person = _staff_of(matter.lead_body_id, handler_id)
        if person.pk in matter.recused_ids:
            raise GuardFailed(f"{person.display_name or person.username}已回避，不能承办该事项（§28 ¶3）")
        before = matter.handler_user_id
        matter.handler_user = person
        matter.save(update_fields=["handler_user", "updated_at"])
        name = person.display_name or person.username
        record_event(matter, "assign_handler", gettext_noop("指定承办人"), matter.state,
                     matter.state, user, "", note=("改为" if before else "") + f"承办人：{name}",
                     public=False)
        audit.record("assign_handler", actor=user, object_type="matter", object_id=matter.pk,
                     matter_id=matter.pk, data={"handler": person.pk, "before": before})
    return matter


def recuse(matter: Matter, *, user: User, recused_id: int, reason: str) -> Matter:
    """§28 ¶3: exclude a member of staff with a direct interest; recorded with the reason."""
    if not reason.strip():
        raise GuardFailed("请写明回避的理由（与信访事项或者信访人有直接利害关系，§28 ¶3）")
    with transaction.atomic():
        matter = Matter.objects.select_for_update(of=("self",)).get(pk=matter.pk)
        permissions.require(user, "recuse", matter=matter)
        try:
            person = User.objects.get(pk=recused_id, body_id=user.body_id or 0)
        except User.DoesNotExist as e:
            raise GuardFailed("只能登记本单位工作人员的回避") from e
        if person.pk != user.pk and user.role not in ("unit_head", "leader", "officer"):
            raise GuardFailed("承办人只能申报本人回避；他人回避由单位负责人登记")
        if person.pk in matter.recused_ids:
            raise GuardFailed("该工作人员已登记回避")
        matter.recused_ids = [*matter.recused_ids, person.pk]
        fields = ["recused_ids", "updated_at"]
        if matter.handler_user_id == person.pk:
            matter.handler_user = None  # the unit names another (assign_handler)
            fields.append("handler_user")
        matter.save(update_fields=fields)
        name = person.display_name or person.username
        record_event(matter, "recuse", gettext_noop("登记回避"), matter.state, matter.state, user,
                     "", note=f"{name}回避：{reason.strip()[:200]}", public=False)
        audit.record("recuse", actor=user, object_type="matter", object_id=matter.pk,
                     matter_id=matter.pk, data={"recused": person.pk})
    return matter


def record_implementation(matter: Matter, *, user: User, text: str) -> Matter:
    """§32 ¶2: the handling body records that its supported opinion has been carried out
    (who did what, when); it meets the F1 follow-up clock."""
    from .. import clocks

    if not text.strip():
        raise GuardFailed("请填写支持意见的落实情况")
    with transaction.atomic():
        matter = Matter.objects.select_for_update(of=("self",)).get(pk=matter.pk)
        permissions.require(user, "record_implementation", matter=matter)
        if not clocks.open_clocks(matter, "F1"):
            raise GuardFailed("该事项没有待落实的支持意见（§32 ¶2）")
        clocks.meet(matter, "F1", on=clocks.today())
        record_event(matter, "record_implementation", gettext_noop("登记支持意见落实情况"),
                     matter.state, matter.state, user, "", note=text.strip()[:500])
        audit.record("record_implementation", actor=user, object_type="matter",
                     object_id=matter.pk, matter_id=matter.pk)
        clocks.refresh_next_due(matter.pk)
    return matter

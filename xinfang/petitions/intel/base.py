"""What every intel use case shares: the per-process cache, who may use the read models,
the text a matter is judged by, and the scope helpers (every read goes through
``access.visible_matters``)."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from xinfang.domain import states as st
from xinfang.org.models import Division, User

from .. import access
from ..models import Matter, Petitioner

INTEL_ROLES = {st.Role.OFFICER.value, st.Role.LEADER.value, st.Role.SUPERVISOR.value,
               st.Role.ADMIN.value}

# The process-wide cache of the category model ("clf") and the same-matter index ("index").
lock = threading.RLock()
state: dict[str, Any] = {}


def reset() -> None:
    """Forget the cached model and index (tests; after a database restore)."""
    with lock:
        state.clear()


def may_use(user: User) -> bool:
    """Topics, warnings and the dashboard: 信访干部, leaders, supervisors (and admins)."""
    return bool(user.is_authenticated and (user.is_superuser or user.role in INTEL_ROLES))


def matter_text(title: str, content: str) -> str:
    return f"{(title or '').strip()}\n{(content or '').strip()}"


def scoped(user: User, days: int, division: str = "", category: str = "",
           end: datetime | None = None) -> QuerySet[Matter]:
    """The user's visible matters received in the last ``days``, optionally filtered."""
    end = end or timezone.now()
    qs = access.visible_matters(user).filter(received_at__gt=end - timedelta(days=days),
                                             received_at__lte=end)
    if division:
        d = Division.objects.filter(code=division).first()
        if d is not None:
            qs = qs.filter(Q(division_path=d.path) | Q(division_path__startswith=d.path + "/"))
    if category and category.isdigit():
        qs = qs.filter(Q(category_id=int(category)) | Q(category__parent_id=int(category)))
    return qs


def scope_key(user: User) -> str:
    """Cache key part: users with the same key see the same matters."""
    return f"{user.pk}:{user.role}:{user.body_id}:{int(user.is_superuser)}"


def person_keys(matter_ids: list[int]) -> dict[int, str]:
    """One key per matter's lead petitioner (blind index), for counting distinct people."""
    keys: dict[int, str] = {}
    for mid, idx, phone in (Petitioner.objects.filter(matter_id__in=matter_ids, is_lead=True)
                            .values_list("matter_id", "id_index", "phone_index")):
        keys[mid] = idx or phone or f"m{mid}"
    return {m: keys.get(m, f"m{m}") for m in matter_ids}

"""The deliveries on a matter's timeline (staff only; the portal never shows them)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from xinfang.petitions.models import Event, Matter

from .models import Delivery


def attach(matter: Matter, events: Sequence[Event]) -> list[Delivery]:
    """Set ``event.notices`` (its deliveries) on each event, in one query; return the
    deliveries tied to no event (a digest summary never is: it has no matter)."""
    by_event: dict[int | None, list[Delivery]] = defaultdict(list)
    for d in Delivery.objects.filter(matter=matter).order_by("created_at", "id").only(
            "id", "event_id", "kind", "audience", "channel", "recipient_label", "status",
            "attempts", "last_error", "created_at", "sent_at"):
        by_event[d.event_id].append(d)
    for e in events:
        e.notices = by_event.get(e.pk, [])  # type: ignore[attr-defined]
    return by_event.get(None, [])

"""The django-tasks task of a notification: one attempt of its delivery, with a batch of other
queued ones of the same channel (``delivery.attempt``, ``XINFANG_NOTIFY_BATCH``)."""

from __future__ import annotations

from typing import Any

from django_tasks import task


@task()
def deliver(delivery_id: int) -> dict[str, Any]:
    from . import delivery

    return delivery.attempt(delivery_id, batch=delivery.batch_size())

"""The django-tasks task of a notification: one attempt of one delivery (delivery.attempt)."""

from __future__ import annotations

from typing import Any

from django_tasks import task


@task()
def deliver(delivery_id: int) -> dict[str, Any]:
    from . import delivery

    return delivery.attempt(delivery_id)

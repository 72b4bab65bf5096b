"""Notifications (issue 16 item 1): petitioners and staff told of every step that concerns them.

Every notification is born of a timeline ``Event`` (``planner``): the event's transaction
records one ``Delivery`` per recipient and channel and its task on the job queue
(django-tasks-db; ``tasks.deliver``); the worker attempts it — in a batch of queued deliveries
of its channel —, retries and records it (``delivery``). Channels: SMS (``xinfang.core.sms``), e-mail (Django's mail) and an
adapter for WeChat/政务 apps (``channels``). See docs/operations.md, "Notifications".
"""

from __future__ import annotations

from .switch import paused

__all__ = ["paused"]

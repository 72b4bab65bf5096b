"""Typed requests for views that run only behind a login.

``HttpRequest.user`` is ``User | AnonymousUser`` in django-stubs. A view behind
``@login_required`` (or a mixin that refuses anonymous users) may annotate its request as
``AuthedRequest`` and use ``request.user.body``, ``request.user.role`` … without a cast, as
healthchecks does with ``AuthenticatedHttpRequest``::

    @login_required
    def queue(request: AuthedRequest) -> HttpResponse:
        body = request.user.body

The annotation is a promise the decorator keeps: nothing checks it at run time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest
from rest_framework.request import Request

if TYPE_CHECKING:  # typing only: core sits below org in the layers (pyproject, importlinter)
    from django_htmx.middleware import HtmxDetails

    from xinfang.org.models import User


class AuthedRequest(HttpRequest):
    """An ``HttpRequest`` whose user is a logged-in staff member (and the ``htmx`` details
    django-htmx's middleware sets on every request)."""

    user: User
    htmx: HtmxDetails


class AuthedAPIRequest(Request):
    """The REST framework's ``Request`` of an API view that refuses anonymous users (the
    default ``IsAuthenticated`` permission): its user is a logged-in staff member."""

    user: User

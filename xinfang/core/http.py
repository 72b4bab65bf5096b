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

if TYPE_CHECKING:  # typing only: core sits below org in the layers (pyproject, importlinter)
    from xinfang.org.models import User


class AuthedRequest(HttpRequest):
    """An ``HttpRequest`` whose user is a logged-in staff member."""

    user: User

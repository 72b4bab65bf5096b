"""码上办 (issue 3): printable QR codes that open the portal's submit page pre-filled.

One code per place (乡镇、村社区: ``?division=<code>``) and per unit (``?body=<id>``); ``via=qr``
records the channel as 扫码. Only 信访干部 and administrators print them. The codes point at
``XINFANG_PUBLIC_URL`` (the portal's public address) when set, else at the current host.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from urllib.parse import urlencode

import segno
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext

from xinfang.core.http import AuthedRequest
from xinfang.domain import states as st
from xinfang.org.models import Body, Division, User
from xinfang.petitions import permissions


@dataclass
class Code:
    title: str
    subtitle: str
    url: str
    png: str  # data URI


def submit_url(request: HttpRequest, *, division: str | None = None,
               body: int | None = None) -> str:
    params: dict[str, str] = {}
    if division:
        params["division"] = division
    if body:
        params["body"] = str(body)
    params["via"] = "qr"
    path = reverse("portal:submit") + "?" + urlencode(params)
    # The portal may be published under another host than the staff intranet.
    public = os.environ.get("XINFANG_PUBLIC_URL", "").rstrip("/")
    return public + path if public else request.build_absolute_uri(path)


def _code(title: str, subtitle: str, url: str) -> Code:
    qr = segno.make(url, error="m")
    return Code(title, subtitle, url, qr.png_data_uri(scale=5, border=2))


def _scope(user: User) -> Division | None:
    if user.is_superuser or user.role == st.Role.ADMIN.value or user.body is None:
        return None
    return user.body.division


@login_required
def qr_codes(request: AuthedRequest) -> HttpResponse:
    user = request.user
    if not permissions.may(user, "qr_codes"):
        raise PermissionDenied(gettext("只有信访干部或系统管理员可以打印码上办二维码"))
    kind = request.GET.get("kind", "place")
    if kind not in ("place", "unit"):
        kind = "place"
    top = _scope(user)
    codes: list[Code] = []
    if kind == "place":
        divs = Division.objects.filter(level__gte=Division.Level.COUNTY).select_related("parent")
        if top is not None:
            divs = divs.filter(Q(path=top.path) | Q(path__startswith=top.path + "/"))
        for d in divs.order_by("path"):
            parent = d.parent.name if d.parent and d.level > Division.Level.COUNTY else ""
            codes.append(_code(d.name, parent, submit_url(request, division=d.code)))
    else:
        bodies = Body.objects.filter(active=True).select_related("division")
        if top is not None:
            bodies = bodies.filter(Q(division__path=top.path)
                                   | Q(division__path__startswith=top.path + "/"))
        for b in bodies.order_by("division__path", "kind", "name"):
            codes.append(_code(b.name, b.division.name, submit_url(request, body=b.pk)))
    return render(request, "web/qr.html", {"nav": "qr", "codes": codes, "kind": kind})

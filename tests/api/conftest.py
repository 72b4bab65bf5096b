from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from xinfang.domain import idcard
from xinfang.petitions import services
from xinfang.petitions.services import PetitionerIn, Registration


@pytest.fixture
def token_client():
    def make(user) -> APIClient:
        """A client with a fresh API token of ``user`` (issued as after password + code)."""
        from xinfang.org.models import ApiToken

        client = APIClient()
        _, token = ApiToken.objects.create(user=user, name="test")
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        return client

    return make


def make_matter(county, *, name: str, id17: str, phone: str, title: str, klass: str = "appeal",
                accused_body=None, forward_to=None):
    from django.utils import timezone

    reg = Registration(
        channel="visit", title=title, request="请求依法处理", content=f"{title}，详见材料。",
        division=county.villages[0], received_at=timezone.now(), klass=klass,
        category=county.categories["CX01"], accused_body=accused_body,
        accused_name="某科长" if klass == "report" else "",
        petitioners=[PetitionerIn(name=name, id_number=idcard.make(id17), phone=phone,
                                  address="安平县城关镇东门社区3栋")],
    )
    m = services.register(reg, holder=county.xinfang, user=county.users["registrar"])
    if forward_to is not None:
        m = services.transition(m, "forward", user=county.users["officer"],
                                data={"to_body": forward_to.pk})
    return m

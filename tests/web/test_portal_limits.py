"""The portal's acts keep the length limits the staff forms and the API keep (found in the
browser: a 200,000-character 复查 reason was taken and stored)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.scenario import advance

pytestmark = pytest.mark.django_db


def _track(client, matter, phone="13800138000"):
    return client.post(reverse("portal:track"), {"code": matter.query_code, "phone": phone})


def test_overlong_review_reason_is_refused_with_the_limit(client, county, matter):
    m = advance(county, matter, "replied")
    _track(client, m)
    r = client.post(reverse("portal:act", args=["request_review"]), {"reason": "理" * 200_000})
    body = r.content.decode()
    assert r.status_code == 400
    assert "理由" in body and "2000" in body
    m.refresh_from_db()
    assert m.state == "replied"


def test_overlong_comment_is_refused(client, county, matter):
    m = advance(county, matter, "replied")
    _track(client, m)
    r = client.post(reverse("portal:act", args=["rate_unsatisfied"]), {"comment": "差" * 5000})
    assert r.status_code == 400 and "1000" in r.content.decode()
    assert not m.evaluations.exists()

"""Passwords (issue 14 item 6): Django's validators (length 10, common, numeric, similar to
the account), a password-change page for every staff member, audited."""

from __future__ import annotations

import pytest
from django.contrib.auth import password_validation
from rest_framework.test import APIClient

from xinfang.audit.models import AuditLog
from xinfang.org.models import ApiToken, User

# One county for the module, a deep copy per test (tests/conftest.py module_db).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("module_county")]

PW = "pw-test-123"


def _change(c, new: str, old: str = PW):
    return c.post("/account/password/", {"old_password": old, "new_password1": new,
                                         "new_password2": new})


@pytest.mark.parametrize(("new", "says"), [
    ("12345678", "密码太短，至少需要 10 个字符"),
    ("password123", "这个密码太常见了"),
    ("8264091735", "密码只包含数字"),
    ("dengji2026", "密码与用户名过于相似"),
])
def test_weak_passwords_are_refused_in_chinese(county, login, new, says):
    user = county.users["registrar"]
    c = login(user)
    r = _change(c, new)
    assert r.status_code == 400 and says in r.content.decode()
    assert User.objects.get(pk=user.pk).check_password(PW)
    assert not AuditLog.objects.filter(action="password_change").exists()


def test_every_staff_member_changes_their_password_from_the_header(county, login):
    user = county.users["handler"]
    c = login(user)
    assert 'href="/account/password/"' in c.get("/").content.decode()
    assert _change(c, "Ganz-neu-2026", old="wrong").status_code == 400
    token = ApiToken.objects.create(user=user, name="旧令牌")[1]
    r = _change(c, "Ganz-neu-2026")
    assert r.status_code == 302
    assert User.objects.get(pk=user.pk).check_password("Ganz-neu-2026")
    assert c.get("/").status_code == 200  # still logged in
    row = AuditLog.objects.filter(action="password_change").get()
    assert row.actor == user and "Ganz-neu-2026" not in str(row.data)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get("/api/v1/matters").status_code == 401  # the old tokens are revoked


def test_the_published_demo_password_passes_the_validators(county):
    from xinfang.demo.county import DEMO_PASSWORD

    for user in User.objects.all():
        password_validation.validate_password(DEMO_PASSWORD, user)

"""`xinfang demo-otp <username>`: the demo's leaders, 信访干部 and admins log in with a code
(issue 14 item 4), and the demo tells you the code."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db


def test_demo_otp_prints_a_code_that_logs_the_officer_in(county, client):
    from xinfang.demo.guard import claim

    claim()
    out = io.StringIO()
    call_command("demo-otp", "xinfang", stdout=out)
    code = out.getvalue().strip()
    assert len(code) == 6 and code.isdigit()
    r = client.post("/login/", {"username": "xinfang", "password": "pw-test-123", "otp": code})
    assert r.status_code == 302 and r["Location"] == "/"
    with pytest.raises(CommandError, match="没有演示动态口令"):
        call_command("demo-otp", "dengji")  # a registrar has no demo device


def test_demo_otp_refuses_a_database_that_is_not_the_demos(county):
    with pytest.raises(CommandError, match="不是演示种子生成的"):
        call_command("demo-otp", "xinfang")

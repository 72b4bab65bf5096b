"""Issue 14 item 13, the logs and the keys: no phone, ID number or query code in the access
log (runserver's and gunicorn's), no full number in the log SMS adapter, no pending TOTP
secret in the session, and in production no field key inside the data directory."""

from __future__ import annotations

import logging
import subprocess
import sys
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.urls import reverse

from tests.ops.test_production_settings import ROOT, example_env
from tests.scenario import ID_A

URL = f"/portal/track/?code=AB12CD34&phone=13800138000&id_number={ID_A}&page=2"


def _line(handler: logging.Handler, msg: str, *args: object) -> str:
    record = logging.LogRecord("django.server", logging.INFO, __file__, 1, msg, args, None)
    for f in handler.filters:
        assert f.filter(record) if hasattr(f, "filter") else f(record)
    return record.getMessage()


def test_the_request_lines_of_the_log_carry_no_personal_query_parameters():
    handlers = logging.getLogger("django.server").handlers
    assert handlers  # runserver's request lines go through the project's console handler
    line = _line(handlers[0], '"%s" %s %s', f"GET {URL} HTTP/1.1", "200", "5120")
    assert "13800138000" not in line and ID_A not in line and "AB12CD34" not in line
    assert "phone=***" in line and "page=2" in line and "/portal/track/" in line
    # A warning of django.request (a 404 naming the path) through the same filter.
    other = logging.getLogger("xinfang").handlers[0]
    assert "13800138000" not in _line(other, "Not Found: %s", URL)


def test_gunicorns_access_log_carries_no_personal_query_parameters():
    from gunicorn.config import Config

    from xinfang.core.accesslog import ScrubbingLogger

    environ = {"REQUEST_METHOD": "GET", "RAW_URI": URL, "PATH_INFO": "/portal/track/",
               "QUERY_STRING": URL.split("?", 1)[1], "SERVER_PROTOCOL": "HTTP/1.1",
               "REMOTE_ADDR": "10.0.0.1", "HTTP_REFERER": f"https://x.gov.cn{URL}"}
    resp = SimpleNamespace(status="200 OK", headers=[], sent=10)
    atoms = ScrubbingLogger(Config()).atoms(resp, SimpleNamespace(headers=[]), environ,
                                            timedelta(milliseconds=12))
    text = repr(atoms)
    assert "13800138000" not in text and ID_A not in text and "AB12CD34" not in text
    assert atoms["r"] == "GET /portal/track/?code=***&phone=***&id_number=***&page=2 HTTP/1.1"
    assert atoms["q"] == "code=***&phone=***&id_number=***&page=2"
    conf = (ROOT / "deploy" / "gunicorn.conf.py").read_text(encoding="utf-8")
    assert 'logger_class = "xinfang.core.accesslog.ScrubbingLogger"' in conf


def test_the_log_sms_adapter_masks_the_number(caplog, settings):
    from xinfang.core import sms

    settings.XINFANG_SMS_ADAPTER = sms.DEFAULT_ADAPTER
    with caplog.at_level(logging.INFO, logger="xinfang.sms"):
        sms.send("13800138000", "【信访】验证码 123456，10分钟内有效。回复人 13912345678")
    text = caplog.text
    assert "13800138000" not in text and "13912345678" not in text
    assert "138****8000" in text and "123456" in text  # the demo still reads its code


@pytest.mark.django_db
def test_a_pending_totp_secret_is_not_in_the_session(county, login):
    from xinfang.core.models import StaffTOTPDevice as TOTPDevice

    c = login("handler")  # a role that may enrol
    assert c.get(reverse("account_security")).status_code == 200
    device = TOTPDevice.objects.get(user=county.users["handler"], confirmed=False)
    stored = repr(dict(c.session.items()))
    from xinfang.core import totp

    assert device.key not in stored and totp.secret_b32(device) not in stored


def test_production_refuses_a_field_key_inside_the_data_directory(tmp_path):
    env = example_env(tmp_path)
    var = tmp_path / "var"
    var.mkdir()
    inside = var / "field_key"
    inside.write_text("k" * 48, encoding="utf-8")
    env["XINFANG_FIELD_KEY_FILE"] = str(inside)
    code = "import django; django.setup()"
    r = subprocess.run([sys.executable, "-c", code], env={**env, "DJANGO_SETTINGS_MODULE":
                                                           "xinfang.settings"},
                       cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode != 0 and "XINFANG_FIELD_KEY_FILE" in r.stderr
    assert "data directory" in r.stderr
    outside = tmp_path / "etc_field_key"
    outside.write_text("k" * 48, encoding="utf-8")
    env["XINFANG_FIELD_KEY_FILE"] = str(outside)
    r = subprocess.run([sys.executable, "-c", code], env={**env, "DJANGO_SETTINGS_MODULE":
                                                           "xinfang.settings"},
                       cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr

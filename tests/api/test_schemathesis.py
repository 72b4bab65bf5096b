"""Property-based run of every operation in /api/schema/ (recipes §6): no input gives a 5xx,
and every status code an operation answers is one its schema documents (the error answers are
added by ``xinfang.api.schema``; issue 14). ``XINFANG_FUZZ_EXAMPLES`` raises the examples per
operation for a longer run (docs/security.md has the figures of one).

Authenticated as the county's 信访干部 with a token, against a county with a few matters in
different states, so the generated ids and actions reach real rows sometimes.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings

from .conftest import make_matter

schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())


@pytest.fixture(scope="module", autouse=True)
def keep_db_connection():
    # A real WSGI request ends with close_old_connections(), which would close the test's
    # connection on PostgreSQL (recipes §6).
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture(scope="module")
def _matters(module_county, module_db):
    """Three matters and the officer's token, built once for the module (tests/conftest.py
    ``module_db``): each operation's examples start from them and roll back their own acts."""
    county = module_county
    with module_db.unblock():
        make_matter(county, name="甲", id17="99012119800101123", phone="13800000001",
                    title="路灯")
        make_matter(county, name="乙", id17="99012119850505456", phone="13800000002",
                    title="欠薪", forward_to=county.dept("人社"))
        make_matter(county, name="丙", id17="99012119700707789", phone="13800000003",
                    title="举报", klass="report", accused_body=county.dept("住建"))
        from xinfang.org.models import ApiToken

        _, token = ApiToken.objects.create(user=county.users["officer"], name="schemathesis")
    return {"Authorization": f"Token {token}"}


@pytest.fixture
def officer_headers(county, _matters):
    return _matters


@pytest.mark.django_db
@pytest.mark.usefixtures("module_county")
@schema.parametrize()
@settings(max_examples=int(os.environ.get("XINFANG_FUZZ_EXAMPLES", "10")), deadline=None,
          derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much])
def test_api_no_5xx(case, officer_headers):
    response = case.call(headers=officer_headers)
    case.validate_response(response, checks=[schemathesis.checks.not_a_server_error,
                                             schemathesis.checks.status_code_conformance])

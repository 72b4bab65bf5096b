"""§30 ¶3: practice records on a 检举控告 never reach the accused unit."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine

from tests.conftest import sh
from tests.petitions.helpers import register
from xinfang.practice import access
from xinfang.practice import services as svc
from xinfang.practice.models import Case

pytestmark = pytest.mark.django_db


def test_case_on_a_report_is_hidden_from_the_accused_township(county):
    town = county.township_govs[0]
    town_user = county.users["town_handler"]
    assert town_user.body == town
    with time_machine.travel(sh(2026, 3, 2), tick=False):
        report = register(county, sh(2026, 3, 2), klass="report", accused_body=town,
                          accused_name="某镇干部")
        plain = register(county, sh(2026, 3, 2), phone="13900139000")
        for m in (report, plain):
            svc.open_case(m, user=county.users["officer"], task="化解", due_on=date(2026, 4, 30),
                          leader=county.users["leader"], handler=county.users["handler"])
    seen = access.visible(town_user, Case.objects.all())
    assert [c.matter_id for c in seen] == [plain.pk]  # its township, minus the report on it
    # A jurisdiction body that is not accused still sees both.
    assert access.visible(county.users["officer"], Case.objects.all()).count() == 2

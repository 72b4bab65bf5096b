"""The 查重 panel at registration goes through the read gate (§19 ¶3, §30 ¶3).

A registrar of another unit types the ID number and phone of a petitioner, and the same
title and content, of a matter outside their scope: the panel says there is a related
matter, masked, and gives away none of its number, title, state or unit. An officer whose
scope covers the matter sees it in full and can decide whether it is the same matter."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.conftest import sh
from tests.petitions.helpers import ID_A, register, registration
from xinfang.domain.states import Role
from xinfang.org.models import User
from xinfang.petitions import access, intel, services
from xinfang.petitions.models import Matter

pytestmark = pytest.mark.django_db

MASKED = "有关联事项（无权查看）"


def _panel_post(matter) -> dict[str, str]:
    return {
        "title": matter.title, "content": matter.content, "division": matter.division.code,
        "p0_id_number": ID_A, "p0_phone": "13800138000",
    }


@pytest.fixture
def original(county, frozen):
    """A matter at the county 信访局, forwarded to and accepted by 住建 (ID_A, 13800138000)."""
    m = register(county, sh(2026, 5, 20))
    m = services.transition(m, "forward", user=county.users["officer"],
                            data={"to_body": county.dept("住建").pk})
    m = services.transition(m, "sign", user=county.users["handler"])
    return services.transition(m, "accept", user=county.users["handler"],
                               data={"route": "§31（六）"})


@pytest.fixture
def outsider(county):
    """A registrar of 人社局: registers at their own unit (§23 ¶1), sees what it holds."""
    return User.objects.create(username="renshe_dengji", display_name="钱登记",
                               role=Role.REGISTRAR.value, body=county.dept("人社"))


def _secrets(matter) -> dict[str, str]:
    return {"number": matter.number, "title": matter.title, "state": str(matter.state_label),
            "unit": matter.lead_body.name, "holder": matter.holder.name,
            "division": matter.division.name}


def test_other_unit_learns_nothing_of_a_matter_outside_its_scope(login, county, original,
                                                                 outsider):
    assert not access.can_open(outsider, original)
    r = login(outsider).post(reverse("register_repeats"), _panel_post(original))
    assert r.status_code == 200
    page = r.content.decode()
    for what, text in _secrets(original).items():
        assert text not in page, what
    assert f'value="{original.pk}"' not in page and f"/matters/{original.pk}/" not in page
    # Found by the same petitioner and by the same text: both say so, masked.
    assert page.count(MASKED) == 2


def test_officer_with_the_scope_sees_the_matter_and_may_confirm_it(login, county, original):
    officer = county.users["officer"]
    assert access.can_open(officer, original)
    r = login(officer).post(reverse("register_repeats"), _panel_post(original))
    page = r.content.decode()
    for what, text in _secrets(original).items():
        if what != "holder":  # the panel names the handling unit, not the registering body
            assert text in page, what
    assert MASKED not in page
    assert f'name="same_matter" value="{original.pk}"' in page


def test_note_after_an_escalated_repeat_names_the_original_only_to_who_may_open_it(
        county, original, outsider):
    Matter.objects.filter(pk=original.pk).update(state="replied", replied_on=sh(2026, 6, 1).date())
    reg = registration(county, when=sh(2026, 6, 15), title=original.title, content=original.content)
    again = services.register(reg, holder=county.dept("人社"), user=outsider)
    assert again.repeat_of_id == original.pk  # §19 ¶3: linked whoever registers
    notes = " ".join(intel.after_register(again, outsider, []))
    assert "提级核查" in notes and original.number not in notes
    assert original.number in " ".join(intel.after_register(again, county.users["officer"], []))

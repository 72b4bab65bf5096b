"""The organisation's materialised paths stay true under an administrator's edits.

A division's path is copied into every matter (``division_path``) and the jurisdiction's
access rule is a prefix of it, so the admin refuses to move an existing division (as
``xinfang import-org`` does) with the reason in Chinese; a category moved in the admin
carries its sub-categories' paths with it.
"""

from __future__ import annotations

from typing import Any

import pytest

from xinfang.demo.county import mark_verified
from xinfang.org.models import Category, Division

from ..scenario import matter as make_matter

pytestmark = pytest.mark.django_db


def _form(client, url: str) -> dict[str, Any]:
    form = client.get(url).context["adminform"].form
    data: dict[str, Any] = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if value is None:
            continue
        data[name] = getattr(value, "pk", value)
    return data


@pytest.fixture
def admin_client(county, client):
    client.force_login(county.users["admin"])
    mark_verified(client, county.users["admin"])
    return client


def test_moving_a_division_is_refused_and_its_matters_stay_in_their_jurisdiction(
        county, admin_client):
    town, other = county.townships[0], county.townships[1]
    village = Division.objects.filter(parent=town).first()
    matter = make_matter(county, division=village)
    url = f"/admin/org/division/{village.pk}/change/"
    r = admin_client.post(url, _form(admin_client, url) | {"parent": other.pk})
    assert r.status_code == 200  # the form again, with its error
    assert "已有区划不能改为其他上级" in r.content.decode()
    village.refresh_from_db()
    assert village.parent_id == town.pk and village.path.startswith(town.path + "/")
    matter.refresh_from_db()
    assert matter.division_path == village.path  # the jurisdiction rule's prefix still holds


def test_a_division_cannot_sit_under_one_of_its_own_level_or_below(county, admin_client):
    town = county.townships[0]
    r = admin_client.post("/admin/org/division/add/", {
        "code": "990121999000", "name": "新镇", "level": 4, "parent": town.pk})
    assert r.status_code == 200
    assert "层级不高于本区划" in r.content.decode()
    assert not Division.objects.filter(code="990121999000").exists()
    # a new division in its right place is accepted, its path under its parent
    r = admin_client.post("/admin/org/division/add/", {
        "code": "990121999001", "name": "新村", "level": 5, "parent": town.pk})
    assert r.status_code == 302
    assert Division.objects.get(code="990121999001").path == f"{town.path}/990121999001"


def test_a_moved_category_carries_its_sub_categories(county, admin_client):
    a = Category.objects.create(code="T1", name="甲")
    b = Category.objects.create(code="T2", name="乙")
    child = Category.objects.create(code="T1-1", name="甲一", parent=a)
    grandchild = Category.objects.create(code="T1-1-1", name="甲一一", parent=child)
    url = f"/admin/org/category/{child.pk}/change/"
    r = admin_client.post(url, _form(admin_client, url) | {"parent": b.pk})
    assert r.status_code == 302, r.content.decode()[:1000]
    child.refresh_from_db()
    grandchild.refresh_from_db()
    assert child.path == "T2/T1-1"
    assert grandchild.path == "T2/T1-1/T1-1-1"
    # a category cannot move under its own sub-category
    url = f"/admin/org/category/{b.pk}/change/"
    r = admin_client.post(url, _form(admin_client, url) | {"parent": grandchild.pk})
    assert r.status_code == 200
    assert "不能形成循环" in r.content.decode()
    b.refresh_from_db()
    assert b.parent_id is None and b.path == "T2"


"""The staff forms' choice lists (问题属地, 内容分类, 被反映单位) are built once per process and
kept until the organisation changes (web.forms, core.versioned): an edit shows on the next
page, never a stale list."""

from __future__ import annotations

import re

import pytest

from xinfang.org.models import Body, Category, Division

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("module_county")]


def _options(page: str, name: str) -> list[str]:
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', page, re.S)
    assert select, name
    return [re.sub(r"[ \t\n]+", " ", o).strip(" ")
            for o in re.findall(r"<option[^>]*>(.*?)</option>", select.group(1), re.S)]


def test_a_new_renamed_or_moved_category_shows_on_the_next_registration_page(login, county):
    c = login("registrar")
    before = _options(c.get("/register/").content.decode(), "category")
    assert "　物业管理" in before and not any("电动车充电" in o for o in before)

    top = county.categories["CX"]
    Category.objects.create(code="CX99", name="电动车充电", parent=top)
    after = _options(c.get("/register/").content.decode(), "category")
    assert "　电动车充电" in after

    sub = Category.objects.get(code="CX99")
    sub.name = "电动车充电桩"
    sub.save()
    sub.parent = None  # moved to the top level: no longer indented under 城乡建设
    sub.save()
    moved = _options(c.get("/register/").content.decode(), "category")
    assert "电动车充电桩" in moved and "　电动车充电" not in moved


def test_a_new_village_and_a_deactivated_unit_show_on_the_next_page(login, county):
    c = login("registrar")
    town = county.villages[0].parent
    Division.objects.create(code=town.code[:9] + "099", name="新建村", level=5, parent=town)
    page = c.get("/register/").content.decode()
    assert any(o.endswith("新建村") for o in _options(page, "division"))

    unit = Body.objects.get(name="安平县住房和城乡建设局")
    assert unit.name in _options(page, "accused_body")
    unit.active = False
    unit.save()
    page = c.get("/register/").content.decode()
    assert unit.name not in _options(page, "accused_body")
    search = login("officer").get("/search/").content.decode()
    assert unit.name not in _options(search, "unit")

"""A category an administrator moves under another parent takes its matters' counters with it
(issue 19 / issue 17 "Speed"): the counters key the dashboard's 内容分类 and the rising-count
warnings by a matter's top category (``domain.tally.category_dim``), and the admin's save moves
the matters' counter rows in its own transaction — the leader's figures follow at once, and
``rebuild-aggregates --verify`` finds nothing to mend."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.scenario import register
from xinfang.audit.models import AuditLog
from xinfang.demo.county import mark_verified
from xinfang.org.models import Category
from xinfang.petitions import clocks, intel
from xinfang.petitions.intel import early_warning as ew
from xinfang.petitions.models import Matter
from xinfang.practice import aggregates

from ..ops.test_org_admin_paths import _form

pytestmark = pytest.mark.django_db


def _dashboard_categories(login) -> dict[str, int]:
    data = login("leader").get(reverse("dashboard_data")).json()
    return {r["label"]: r["count"] for r in data["top_categories"]}


def _from_matters(county) -> dict[str, int]:
    rows = intel.dashboard_data(county.users["leader"])["top_categories"]
    return {r["label"]: r["count"] for r in rows}


def _weekly_by_category(user) -> dict[str, int]:
    """The rising warnings' series (township × top category × week) from the counters, summed
    per category; equal to the same grouped from the matters."""
    today = clocks.today()
    counted = ew.weekly_counts(user, today)
    assert counted == ew.weekly_counts(user, today, from_matters=True)
    out: dict[str, int] = {}
    for (_town, cat), weeks in counted.items():
        out[cat] = out.get(cat, 0) + sum(weeks)
    return out


def _no_drift() -> None:
    r = aggregates.verify()
    assert (r.different, r.month_different, r.snapshots_off) == (0, 0, 0), r.differences[:5]
    call_command("rebuild-aggregates", "--verify")  # SystemExit on any difference


@pytest.fixture
def admin(county):
    c = Client()
    c.force_login(county.users["admin"])
    mark_verified(c, county.users["admin"])
    return c


def _move(admin, category: Category, parent: Category | None) -> None:
    url = f"/admin/org/category/{category.pk}/change/"
    r = admin.post(url, _form(admin, url) | {"parent": parent.pk if parent else ""})
    assert r.status_code == 302, r.content.decode()[:2000]


def test_moving_a_subcategory_moves_its_matters_counters(county, login, admin):
    cx, ld = county.categories["CX"], county.categories["LD"]
    cx01, cx02 = county.categories["CX01"], county.categories["CX02"]
    now = timezone.now()
    for i in range(3):
        register(county, now - timedelta(days=i + 1), phone=f"1390002{i:04d}", id_number="",
                 category=cx01)
    register(county, now - timedelta(days=2), phone="13900029999", id_number="", category=cx02)
    leader = county.users["leader"]
    assert Matter.objects.filter(category=cx01).count() == 3
    before = _dashboard_categories(login)
    assert before == _from_matters(county) and before[cx.name] == 4
    assert ld.name not in before
    assert _weekly_by_category(leader)[cx.name] == 4

    # The administrator moves 物业管理 from 城乡建设 to 劳动和社会保障 in the admin.
    _move(admin, cx01, ld)
    cx01.refresh_from_db()
    assert cx01.parent_id == ld.pk and cx01.path == f"{ld.code}/{cx01.code}"
    after = _dashboard_categories(login)
    assert after[cx.name] == 1 and after[ld.name] == 3, after
    assert after == _from_matters(county)
    warned = _weekly_by_category(leader)
    assert (warned[cx.name], warned[ld.name]) == (1, 3)
    _no_drift()
    # The edit is audited as every admin edit: one row naming the parent's change.
    row = AuditLog.objects.filter(action="admin_change", object_type="org.category",
                                  object_id=str(cx01.pk)).latest("pk")
    assert "parent" in str(row.data["fields"]) and row.actor_id == county.users["admin"].pk

    # … to the top level: its matters are now counted under 物业管理 itself.
    _move(admin, cx01, None)
    after = _dashboard_categories(login)
    assert after.get(ld.name, 0) == 0 and after[cx01.name] == 3 and after[cx.name] == 1
    assert after == _from_matters(county)
    assert _weekly_by_category(leader)[cx01.name] == 3
    _no_drift()


def test_a_moved_top_category_keeps_its_sub_categories_matters_and_import_org_moves_too(
        county, login):
    """A top category moved under another keeps the matters of its sub-categories under its
    own name (their parent did not change); its own matters move. A move by ``save()``
    outside the admin (``xinfang import-org`` saves each record) moves them the same way."""
    cx, ld, cx01 = (county.categories[k] for k in ("CX", "LD", "CX01"))
    now = timezone.now()
    register(county, now - timedelta(days=1), phone="13900030001", id_number="", category=cx01)
    register(county, now - timedelta(days=1), phone="13900030002", id_number="", category=cx)
    assert _dashboard_categories(login)[cx.name] == 2
    cx.parent = ld
    cx.save()
    after = _dashboard_categories(login)
    assert (after[cx.name], after[ld.name]) == (1, 1)
    assert after == _from_matters(county)
    _no_drift()

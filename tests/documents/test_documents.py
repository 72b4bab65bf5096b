"""What a reader of each issued document (procedure.md §6) must find on it."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
import time_machine

from tests.conftest import sh
from tests.petitions.helpers import register
from xinfang.documents import REDACTED, render_html, render_pdf
from xinfang.petitions import clocks, services
from xinfang.petitions.models import Document
from xinfang.petitions.services import PetitionerIn

# One county for the module, a deep copy per test (tests/conftest.py module_db).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("module_county")]

LEGAL_BASIS = "《物业管理条例》第四十条"


def _text(html: str) -> str:
    """The visible text, tags and whitespace removed, so assertions read like the page."""
    return re.sub(r"\s+", "", re.sub(r"<[^>]+>", "", html.split("</style>", 1)[-1]))


def _drive(county):
    """register → assign (red, report due 04-30) → sign → accept → extension → reply."""
    officer, handler, head = (county.users[k] for k in ("officer", "handler", "unit_head"))
    with time_machine.travel(sh(2026, 3, 2), tick=False):
        m = register(county, sh(2026, 3, 2))
        m = services.transition(m, "assign", user=officer, data={
            "to_body": county.dept("住建").pk, "report_due": "2026-04-30", "grade": "red",
            "instructions": "请实地核查收费依据"})
        m = services.transition(m, "sign", user=handler)
        m = services.transition(m, "accept", user=handler, data={"route": "按§31（六）办理"})
    with time_machine.travel(sh(2026, 4, 20), tick=False):
        m = services.transition(m, "request_extension", user=handler,
                                data={"days": 30, "reason": "需要委托测绘机构测量车位面积"})
        m = services.transition(m, "approve_extension", user=head, data={
            "served_on": clocks.today().isoformat(), "service_method": "邮寄"})
    with time_machine.travel(sh(2026, 5, 20), tick=False):
        m = services.transition(m, "reply", user=handler, data={
            "outcome": "supported", "facts": "经查，物业公司每月多收停车费200元属实",
            "opinion": "责令物业公司于30日内退还多收的停车费", "legal_basis": LEGAL_BASIS,
            "served_on": "2026-05-20", "service_method": "当面送达"})
    return m


def _doc(m, kind: str) -> str:
    return _text(render_html(Document.objects.get(matter=m, kind=kind)))


def test_every_document_carries_the_common_particulars(county):
    """§6 preamble: issuer and seal, 文号, matter number, 查询码, petitioner, date, service."""
    m = _drive(county)
    docs = list(Document.objects.filter(matter=m))
    assert {d.kind for d in docs} == {"receipt", "assign", "acceptance", "extension", "opinion"}
    for d in docs:
        text = _text(render_html(d))
        assert d.get_kind_display() in text
        assert d.number in text and d.context["issuer"] in text
        assert m.number in text and m.query_code in text
        assert "王大明" in text
        assert "（印章）" in text
        assert "送达方式" in text and "送达日期" in text and "签收人" in text
    opinion = _doc(m, "opinion")
    assert "当面送达" in opinion and "2026年5月20日" in opinion  # the recorded service


def test_receipt_tells_how_to_check_progress(county):
    with time_machine.travel(sh(2026, 3, 2), tick=False):
        m = register(county, sh(2026, 3, 2))
    text = _doc(m, "receipt")
    assert f"查询码：{m.query_code}" in text
    assert "查询办理进度" in text and "2026年3月2日" in text
    assert "13800138000" not in text and "138****8000" in text  # masked even unredacted


def test_assignment_slip_states_deadline_report_and_grade(county):
    """§22 ¶1 (3): 办理期限 and 反馈结果、提交办结报告; the three-colour grade (§8.3)."""
    m = _drive(county)
    text = _doc(m, "assign")
    assert county.dept("住建").name in text
    assert "2026年4月30日前反馈结果、提交办结报告" in text
    assert "红色" in text
    assert "请实地核查收费依据" in text
    assert "5个工作日内提出异议" in text  # §23 ¶3


def test_acceptance_notice_gives_route_procedure_and_limit(county):
    """§23 ¶2–3, §34."""
    text = _doc(_drive(county), "acceptance")
    assert "处理途径和程序" in text and "按§31（六）办理" in text
    assert "60日" in text and "2026年5月6日前办结" in text
    assert "查询办理进度" in text


def test_extension_notice_gives_reasons_days_new_date_and_approval(county):
    """§34."""
    text = _doc(_drive(county), "extension")
    assert "需要委托测绘机构测量车位面积" in text
    assert "延长30日" in text
    assert "2026年6月1日" in text and "2026年5月6日" in text
    assert "负责人（刘局长）批准" in text


def test_opinion_has_request_facts_basis_and_names_only_the_review_route(county):
    """§32 ¶1; §35 remedy via the body one level up; never 行政复议/行政诉讼 (§6)."""
    m = _drive(county)
    text = _doc(m, "opinion")
    assert "投诉请求" in text and m.request in text
    assert "经查，物业公司每月多收停车费200元属实" in text
    assert "处理意见及其法律法规依据" in text and LEGAL_BASIS in text
    assert "予以支持" in text
    assert "30日内，向安平县人民政府请求复查" in text
    assert "行政复议" not in text and "行政诉讼" not in text


def test_review_names_recheck_route_and_recheck_closes_the_door(county):
    """§36 ¶1 (复核 within 30 日 at next_body) and §36 ¶3 (same facts and reasons)."""
    m = _drive(county)
    with time_machine.travel(sh(2026, 6, 1), tick=False):
        m = services.transition(m, "request_review", citizen=True, data={"reason": "退还不足"})
        m = services.transition(m, "issue_review", user=county.users["gov_officer"], data={
            "review_outcome": "upheld", "facts": "复查属实", "opinion": "维持原处理意见",
            "legal_basis": "§35", "served_on": "2026-06-01", "service_method": "邮寄"})
        m = services.transition(m, "request_recheck", citizen=True, data={"reason": "仍不服"})
        m = services.transition(m, "issue_recheck", user=county.users["city_officer"], data={
            "review_outcome": "upheld", "facts": "复核属实", "opinion": "维持",
            "legal_basis": "§36", "served_on": "2026-06-01", "service_method": "当面"})
    review = _doc(m, "review")
    assert "维持原处理意见" in review and "安平县住房和城乡建设局" in review  # the respondent
    assert "30日内，向临江市人民政府请求复核" in review
    assert "行政复议" not in review and "行政诉讼" not in review
    recheck = _doc(m, "recheck")
    assert "同一事实和理由" in recheck and "不再受理" in recheck
    assert "30日内" not in recheck  # final: no further window is offered


def test_not_accepted_notice_gives_rule_reasons_and_route(county):
    with time_machine.travel(sh(2026, 3, 2), tick=False):
        m = register(county, sh(2026, 3, 2))
        m = services.transition(m, "not_accept", user=county.users["officer"], data={
            "reason_code": "N7", "reason": "属劳动争议", "route": "向县劳动人事争议仲裁委员会申请仲裁"})
    text = _doc(m, "not_accepted")
    assert "N7" in text and "不属于本机关职权范围" in text
    assert "属劳动争议" in text and "向县劳动人事争议仲裁委员会申请仲裁" in text


def test_collective_matter_shows_representatives_and_headcount(county):
    with time_machine.travel(sh(2026, 3, 2), tick=False):
        m = register(county, sh(2026, 3, 2), headcount=30, petitioners=[
            PetitionerIn(name="赵一", is_representative=True),
            PetitionerIn(name="钱二"),
            PetitionerIn(name="孙三", is_representative=True),
        ])
    text = _doc(m, "receipt")
    assert "信访人代表" in text and "赵一、孙三等30人" in text
    assert "钱二" not in text


def test_redaction_hides_identity_everywhere_for_a_report(county):
    """§30 ¶3: a reporter's identity is not shown outside the handling chain."""
    with time_machine.travel(sh(2026, 3, 2), tick=False):
        m = register(county, sh(2026, 3, 2), klass="report", accused_name="某科长",
                     accused_body=county.dept("住建"),
                     content="本人王大明（电话13800138000）举报某科长收受物业公司财物。")
    doc = Document.objects.get(matter=m, kind="receipt")
    assert "王大明" in _text(render_html(doc))
    text = _text(render_html(doc, redact_identity=True))
    assert "王大明" not in text and "13800138000" not in text and "8000" not in text
    assert REDACTED in text
    assert m.query_code in text and doc.number in text


def test_opinion_pdf_is_a4_with_searchable_chinese(county):
    m = _drive(county)
    doc = Document.objects.get(matter=m, kind="opinion")
    pdf = render_pdf(doc)
    assert pdf.startswith(b"%PDF")
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) not installed")
    out = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True,
                         check=True, timeout=30).stdout.decode()
    flat = re.sub(r"\s+", "", out)
    assert "信访事项处理意见书" in flat
    assert re.sub(r"\s+", "", doc.number) in flat
    assert "第1页/共" in flat


def test_forward_slip_objection_and_supervision_notice(county):
    """§22 ¶1 (forward), §23 ¶3 (objection with reasons, take the materials back), §40."""
    zj = county.dept("住建")
    with time_machine.travel(sh(2026, 3, 2), tick=False):
        m = register(county, sh(2026, 3, 2))
        m = services.transition(m, "forward", user=county.users["officer"],
                                data={"to_body": zj.pk})
        services.supervise(m, user=county.users["officer"], note="请加快核查进度")
        m = services.transition(m, "object", user=county.users["handler"], data={
            "reason": "停车收费属价格监管事项", "competent_body_name": "安平县市场监督管理局"})
    forward = _doc(m, "forward")
    assert f"{zj.name}：" in forward and m.request in forward
    assert "15日内决定是否受理" in forward
    objection = _doc(m, "objection")
    assert f"{county.xinfang.name}：" in objection
    assert "停车收费属价格监管事项" in objection and "安平县市场监督管理局" in objection
    assert "收回相关材料" in objection
    supervision = _doc(m, "supervision")
    assert "请加快核查进度" in supervision and "2026年4月1日前" in supervision


def test_the_seal_never_stands_alone_on_a_page(county):
    """GB/T 9704 §7.3.5: the issuing organ and seal share their page with the last text.
    An opinion of this length used to push them, alone, onto page 3."""
    m = _drive(county)
    doc = Document.objects.get(matter=m, kind="opinion")
    doc.context = {**doc.context, "opinion": "责令物业公司退还多收的停车费。" * (1580 // 16)}
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) not installed")
    out = subprocess.run(["pdftotext", "-layout", "-", "-"], input=render_pdf(doc),
                         capture_output=True, check=True, timeout=60).stdout.decode()
    for page in out.split("\f"):
        lines = [ln.strip() for ln in page.splitlines()
                 if ln.strip() and not ln.strip().startswith("第")]
        if any("（印章）" in ln for ln in lines):
            seal = next(i for i, ln in enumerate(lines) if "（印章）" in ln)
            assert seal >= 2, lines[:4]  # text above the organ's name on the same page
            break
    else:
        raise AssertionError("no seal line in the PDF")

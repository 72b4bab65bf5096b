"""Attachments: scanned letters at registration, materials from the portal; checked by their
first bytes, downloaded only through the matter's access check."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.conftest import sh
from tests.petitions.helpers import register
from tests.web.test_staff import _reg_post
from xinfang.audit.models import AuditLog
from xinfang.petitions.models import Attachment, Matter

# One county for the module, a deep copy per test (tests/conftest.py module_db).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("module_county")]

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _image(fmt: str) -> bytes:
    """A real 2×2 image: uploads must decode as what they claim (issue 14 item 15)."""
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (2, 2), (200, 30, 30)).save(out, fmt)
    return out.getvalue()


PNG = _image("PNG")
JPG = _image("JPEG")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _f(name, data, content_type="application/octet-stream"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def test_registrar_attaches_a_scanned_letter_and_downloads_it(login, county, frozen, media):
    c = login(county.users["registrar"])
    r = c.post(reverse("register"), _reg_post(county, channel="letter", files=[
        _f("来信第1页.pdf", PDF), _f("信封.png", PNG)]), follow=True)
    m = Matter.objects.get()
    page = r.content.decode()
    assert "来信第1页.pdf" in page and "信封.png" in page
    att = m.attachments.get(name="来信第1页.pdf")
    assert att.content_type == "application/pdf" and att.size == len(PDF)
    # Stored under a random name inside MEDIA_ROOT, never the citizen's file name.
    assert "来信" not in att.file.name and (media / att.file.name).exists()
    d = c.get(reverse("attachment", args=[m.pk, att.pk]))
    assert d.status_code == 200 and b"".join(d.streaming_content) == PDF
    assert "attachment;" in d["Content-Disposition"]
    assert AuditLog.objects.filter(action="attach", matter_id=m.pk).exists()
    assert AuditLog.objects.filter(action="download_attachment", object_id=str(att.pk)).exists()


@pytest.mark.parametrize("files,message", [
    ([("信.exe", PDF)], "格式不支持"),
    ([("伪装.pdf", b"MZ\x90\x00not a pdf")], "内容与扩展名不符"),
    ([("照片.jpg", PNG)], "内容与扩展名不符"),
    ([("大.pdf", b"%PDF-" + b"0" * (10 * 1024 * 1024))], "超过10MB"),
    ([(f"{i}.jpg", JPG) for i in range(6)], "最多上传5个附件"),
])
def test_bad_files_are_refused_in_chinese_and_nothing_is_registered(login, county, frozen,
                                                                    files, message):
    c = login(county.users["registrar"])
    r = c.post(reverse("register"), _reg_post(county, files=[_f(n, d) for n, d in files]))
    assert r.status_code == 400 and message in r.content.decode()
    assert Matter.objects.count() == 0 and Attachment.objects.count() == 0


def test_failed_storage_keeps_the_matter_and_says_so(login, county, frozen, monkeypatch):
    from django.core.files.storage import FileSystemStorage

    def broken(self, name, content):
        raise OSError("disk full")

    monkeypatch.setattr(FileSystemStorage, "_save", broken)
    c = login(county.users["registrar"])
    r = c.post(reverse("register"), _reg_post(county, files=[_f("信.pdf", PDF)]), follow=True)
    m = Matter.objects.get()  # the registration is durable
    page = r.content.decode()
    assert m.number in page and "附件保存失败" in page and "请在本页重新上传附件" in page
    assert Attachment.objects.count() == 0


def test_retry_upload_on_the_matter_page(login, county, frozen):
    m = register(county, sh(2026, 3, 2))
    c = login(county.users["officer"])
    assert "上传附件" in c.get(reverse("matter", args=[m.pk])).content.decode()
    r = c.post(reverse("matter_attach", args=[m.pk]), {"attach-files": [_f("补充.jpg", JPG)]},
               follow=True)
    assert "附件已上传" in r.content.decode() and "补充.jpg" in r.content.decode()
    r = c.post(reverse("matter_attach", args=[m.pk]), {"attach-files": [_f("x.gif", b"GIF89a")]})
    assert r.status_code == 400 and "格式不支持" in r.content.decode()


def test_other_units_cannot_download_and_reports_stay_in_the_chain(login, county, frozen):
    from xinfang.petitions import attachments

    m = register(county, sh(2026, 3, 2))
    (att,) = attachments.add_attachments(m, [_f("信.pdf", PDF)], county.users["registrar"])
    url = reverse("attachment", args=[m.pk, att.pk])
    assert login(county.users["other_handler"]).get(url).status_code == 404
    # A report (§30 ¶3): the county leader sees it by jurisdiction, outside the handling chain.
    report = register(county, sh(2026, 3, 2), klass="report", title="举报某干部",
                      accused_name="某干部")
    (secret,) = attachments.add_attachments(report, [_f("举报信.pdf", PDF)], None)
    sup = login(county.users["leader"])
    page = sup.get(reverse("matter", args=[report.pk])).content.decode()
    assert "举报信.pdf" not in page and "仅办理单位可以查看" in page
    assert sup.get(reverse("attachment", args=[report.pk, secret.pk])).status_code == 403
    officer = login(county.users["officer"])
    assert officer.get(reverse("attachment", args=[report.pk, secret.pk])).status_code == 200


def test_portal_submission_carries_materials(client, county, frozen, sms):
    client.post(reverse("portal:send_code"), {"phone": "13600001111"})
    data = {"name": "赵小红", "phone": "13600001111", "division": county.villages[0].code,
            "klass": "appeal", "title": "路灯不亮", "request": "请修复路灯",
            "content": "东门社区主干道路灯一个月不亮。", "token": "tok-files",
            "code": sms.last_code("13600001111"), "files": [_f("现场照片.jpg", JPG)]}
    r = client.post(reverse("portal:submit"), data)
    assert r.status_code == 201
    m = Matter.objects.get()
    assert [a.name for a in m.attachments.all()] == ["现场照片.jpg"]
    # Not on the citizen's progress page, and no public URL for the file.
    assert "现场照片.jpg" not in client.get(reverse("portal:matter")).content.decode()
    assert client.get("/media/" + m.attachments.get().file.name).status_code == 404


def test_portal_refuses_a_disguised_file_before_registering(client, county, frozen, sms):
    client.post(reverse("portal:send_code"), {"phone": "13600001111"})
    data = {"name": "赵小红", "phone": "13600001111", "division": county.villages[0].code,
            "klass": "appeal", "title": "路灯不亮", "request": "请修复路灯",
            "content": "路灯不亮。", "token": "tok-bad", "code": sms.last_code("13600001111"),
            "files": [_f("照片.png", b"<script>alert(1)</script>")]}
    r = client.post(reverse("portal:submit"), data)
    assert r.status_code == 400 and "不是有效的PNG文件" in r.content.decode()
    assert Matter.objects.count() == 0


JS_PDF = (b"%PDF-1.7\n1 0 obj<</Type/Catalog/OpenAction 2 0 R>>endobj\n"
          b"2 0 obj<</S/JavaScript/JS(app.alert(1))>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")


def _deflated_js_pdf() -> bytes:
    """The action hidden in a compressed object stream, its name #-escaped."""
    import zlib

    body = zlib.compress(b"2 0 obj<</S/J#61vaScript/JS(app.alert(1))>>endobj")
    return (b"%PDF-1.7\n3 0 obj<</Type/ObjStm/Filter/FlateDecode/Length "
            + str(len(body)).encode() + b">>stream\n" + body + b"\nendstream\nendobj\ntrailer<<>>\n%%EOF\n")


@pytest.mark.parametrize("name,data,message", [
    ("脚本.pdf", JS_PDF, "含有脚本"),
    ("压缩脚本.pdf", _deflated_js_pdf(), "含有脚本"),
    ("嵌入.pdf", b"%PDF-1.7\n1 0 obj<</Type/Filespec/EF<</F 2 0 R>>>>endobj\n"
                 b"2 0 obj<</Type/EmbeddedFile>>stream\nMZ\nendstream endobj\n%%EOF\n", "含有脚本"),
    ("照片.jpg", JPG + b"<html><script>alert(document.cookie)</script></html>", "网页或脚本"),
    ("照片.png", PNG[:40] + b"<svg onload=alert(1)>" + PNG[40:], "网页或脚本"),
    ("照片.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 64, "不是能正常显示的图片"),
])
def test_active_content_and_polyglots_are_refused(login, county, frozen, name, data, message):
    """Issue 14 item 15: a PDF with JavaScript and a JPEG+HTML polyglot were accepted."""
    c = login(county.users["registrar"])
    r = c.post(reverse("register"), _reg_post(county, files=[_f(name, data)]))
    assert r.status_code == 400 and message in r.content.decode()
    assert Matter.objects.count() == 0 and Attachment.objects.count() == 0


def test_an_oversized_file_is_cut_off_while_it_streams_in(login, county, frozen, monkeypatch):
    """The handler passes at most 10 MB of a file on; the rest is never stored or held."""
    from django.core.files.uploadhandler import TemporaryFileUploadHandler

    received: list[int] = []
    original = TemporaryFileUploadHandler.receive_data_chunk

    def counting(self, raw_data, start):
        received.append(len(raw_data))
        return original(self, raw_data, start)

    monkeypatch.setattr(TemporaryFileUploadHandler, "receive_data_chunk", counting)
    c = login(county.users["registrar"])
    big = b"%PDF-1.4\n" + b"0" * (12 * 1024 * 1024)
    r = c.post(reverse("register"), _reg_post(county, files=[_f("大.pdf", big)]))
    assert r.status_code == 400 and "超过10MB" in r.content.decode()
    assert 0 < sum(received) <= 10 * 1024 * 1024
    assert Matter.objects.count() == 0


def test_a_request_body_over_the_cap_is_refused_before_it_is_read(client, county):
    r = client.generic("POST", reverse("portal:submit"), b"x",
                       CONTENT_TYPE="application/x-www-form-urlencoded",
                       CONTENT_LENGTH=str(60 * 1024 * 1024))
    assert r.status_code == 413 and "提交的内容过大" in r.content.decode()
    r = client.generic("POST", "/api/v1/public/petitions", b"{}", CONTENT_TYPE="application/json",
                       CONTENT_LENGTH=str(60 * 1024 * 1024))
    assert r.status_code == 413 and "提交的内容过大" in r.json()["detail"]

"""Files that come with a matter: scanned letters, photos, the citizen's own materials.

PDF, JPG and PNG only, at most 10 MB each and 5 per upload (domain.limits; the size is
counted while the upload streams in, core.uploads). The type is read from the first bytes of
the file (its magic number), never trusted from the name or the browser, and the content
must be what the type says (issue 14 item 15): a PDF carrying JavaScript, a launch action or
an embedded file, and an image that is also an HTML page or script (a polyglot), or that
does not decode as an image, are refused. Files
live under MEDIA_ROOT (var/media), are never served from a public URL, and are downloaded
only through the matter's access check (web.views.attachment_download).

The matter is registered first (durable, the receipt may be shown); files are added after
it. If storing a file fails, the matter stays and the caller shows the error.
"""

from __future__ import annotations

import io
import logging
import os
import re
import uuid
import zlib
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from xinfang.audit import services as audit
from xinfang.domain import limits
from xinfang.domain.errors import DomainError

from .models import Attachment, Dispatch, Matter

MAX_FILES = limits.UPLOAD_MAX_FILES
MAX_BYTES = limits.UPLOAD_MAX_BYTES
# kind → (content type, magic number at offset 0)
KINDS: dict[str, tuple[str, bytes]] = {
    "pdf": ("application/pdf", b"%PDF-"),
    "jpg": ("image/jpeg", b"\xff\xd8\xff"),
    "png": ("image/png", b"\x89PNG\r\n\x1a\n"),
}
EXTENSIONS = {".pdf": "pdf", ".jpg": "jpg", ".jpeg": "jpg", ".png": "png"}
ACCEPT = ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"
HELP = _("PDF、JPG、PNG格式，每个不超过10MB，最多5个")

logger = logging.getLogger("xinfang.attachments")


class AttachmentError(DomainError):
    status = 400


def sniff(f: Any) -> str | None:
    """The kind of file by its first bytes ("pdf", "jpg", "png") or None."""
    pos = f.tell() if hasattr(f, "tell") else 0
    f.seek(0)
    head = f.read(16)
    f.seek(pos)
    for kind, (_mime, magic) in KINDS.items():
        if head.startswith(magic):
            return kind
    return None


def check_files(files: Sequence[Any]) -> list[str]:
    """Chinese messages for every file that may not be attached (empty list: all fine)."""
    errors: list[str] = []
    if len(files) > MAX_FILES:
        errors.append(f"最多上传{MAX_FILES}个附件，您选择了{len(files)}个")
    for f in files:
        name = os.path.basename(getattr(f, "name", "") or "")
        ext = EXTENSIONS.get(os.path.splitext(name)[1].lower())
        if f.size > MAX_BYTES:
            errors.append(f"“{name}”超过10MB，请压缩或分开上传")
        elif f.size == 0:
            errors.append(f"“{name}”是空文件")
        elif ext is None:
            errors.append(f"“{name}”的格式不支持，只能上传PDF、JPG、PNG文件")
        elif sniff(f) != ext:
            errors.append(f"“{name}”的内容与扩展名不符，不是有效的{ext.upper()}文件")
        else:
            problem = active_content(f, ext)
            if problem:
                errors.append(f"“{name}”{problem}，不能上传")
    return errors


# PDF names that run code or carry other files; a name may be written with #xx escapes.
PDF_ACTIVE = {b"JavaScript", b"JS", b"Launch", b"EmbeddedFile", b"RichMedia", b"XFA"}
_PDF_NAME = re.compile(rb"/((?:[A-Za-z0-9]|#[0-9A-Fa-f]{2})+)")
_PDF_STREAM = re.compile(rb"stream\r?\n(.*?)endstream", re.DOTALL)
_MARKUP = re.compile(rb"<\s*(?:html|script|body|iframe|svg|object|embed|!doctype|\?php)\b|"
                     rb"javascript:", re.IGNORECASE)
_INFLATE_BUDGET = 50 * 1024 * 1024  # decompressed bytes examined per file (zip bombs)


def _read_all(f: Any) -> bytes:
    pos = f.tell() if hasattr(f, "tell") else 0
    f.seek(0)
    data: bytes = f.read()
    f.seek(pos)
    return data


def _pdf_names(data: bytes) -> set[bytes]:
    return {re.sub(rb"#([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]), n)
            for n in _PDF_NAME.findall(data)}


def _inflated_streams(data: bytes) -> list[bytes]:
    """The Flate-compressed streams of a PDF, inflated (object streams hide names there)."""
    out: list[bytes] = []
    budget = _INFLATE_BUDGET
    for raw in _PDF_STREAM.findall(data):
        inflater = zlib.decompressobj()
        try:
            chunk = inflater.decompress(raw, budget)
        except zlib.error:
            continue
        budget -= len(chunk)
        out.append(chunk)
        if budget <= 0:
            break
    return out


def active_content(f: Any, kind: str) -> str | None:
    """Why the file's content is refused (Chinese), or None when it is a plain document."""
    data = _read_all(f)
    if kind == "pdf":
        names = _pdf_names(data)
        for stream in _inflated_streams(data):
            names |= _pdf_names(stream)
        if names & PDF_ACTIVE:
            return "含有脚本、自动动作或嵌入文件（PDF 中的 JavaScript/Launch/EmbeddedFile）"
        return None
    if _MARKUP.search(data):
        return "除图片外还含有网页或脚本内容"
    try:
        from PIL import Image

        with Image.open(io.BytesIO(data)) as image:
            image.verify()
    except Exception:  # any decoder error: not an image we will keep
        return "不是能正常显示的图片"
    return None


def add_attachments(matter: Matter, files: Iterable[Any], user: Any = None, *,
                    actor_label: str = "") -> list[Attachment]:
    """Store ``files`` with ``matter`` (rows, files and one audit row together).

    Raises AttachmentError if a file is not allowed or cannot be stored; then no row is kept
    and the files written so far are removed. The matter itself is not touched.
    """
    files = list(files)
    if not files:
        return []
    errors = check_files(files)
    if errors:
        raise AttachmentError("；".join(errors))
    saved: list[Attachment] = []
    try:
        with transaction.atomic():
            for f in files:
                kind = sniff(f)
                assert kind is not None  # check_files passed
                att = Attachment(matter=matter, name=os.path.basename(f.name)[:200],
                                 content_type=KINDS[kind][0], size=f.size)
                # A random stored name: the citizen's file name never reaches the file system.
                att.file.save(f"{uuid.uuid4().hex}.{kind}", f, save=False)
                saved.append(att)
                att.save()
            audit.record("attach", actor=user, actor_label=actor_label,
                         object_type="matter", object_id=matter.pk, matter_id=matter.pk,
                         data={"files": [{"id": a.pk, "name": a.name, "size": a.size,
                                          "type": a.content_type} for a in saved]})
    except Exception as e:
        for att in saved:
            try:
                if att.file.name:
                    att.file.storage.delete(att.file.name)
            except OSError:
                logger.warning("could not remove %s after a failed upload", att.file.name)
        logger.exception("attachments of matter %s not saved", matter.pk)
        raise AttachmentError("附件保存失败") from e
    return saved


def can_download(user: Any, matter: Matter, dispatches: Iterable[Dispatch] | None = None
                 ) -> bool:
    """Scanned letters carry the petitioner's identity: the act's rule (§30 ¶3)."""
    from .permissions import may

    return may(user, "download_attachment", matter=matter, dispatches=dispatches)

"""The matter's 文书 as HTML (A4 print CSS) and PDF, with the identity redacted for whoever
may not see it (§30 ¶3)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404

from xinfang.core.http import AuthedRequest
from xinfang.petitions import access
from xinfang.petitions.models import Document

from .matter import redact_for

RECEIPT_SESSION_KEY = "receipt_codes"  # matter id → when its desk registered it
RECEIPT_SECONDS = 3600
CODE_WITHHELD = "（查询码只印在登记时的回执上）"


def remember_receipt(request: AuthedRequest, matter_id: int) -> None:
    """The desk that just registered a matter may print its receipt with the query code for a
    petitioner without a phone; an hour later, and for everyone else, the code is withheld."""
    import time

    now = time.time()
    kept = {k: v for k, v in request.session.get(RECEIPT_SESSION_KEY, {}).items()
            if now - v < RECEIPT_SECONDS}
    kept[str(matter_id)] = now
    request.session[RECEIPT_SESSION_KEY] = kept


def shows_query_code(request: AuthedRequest, document: Document) -> bool:
    import time

    if document.kind != Document.Kind.RECEIPT:
        return False
    at = request.session.get(RECEIPT_SESSION_KEY, {}).get(str(document.matter_id))
    return at is not None and time.time() - at < RECEIPT_SECONDS


def _document_for(request: AuthedRequest, pk: int, doc_id: int) -> tuple[Document, bool]:
    matter = access.get_matter_for_user(request.user, pk)
    document = get_object_or_404(Document.objects.select_related("issued_by"), pk=doc_id,
                                 matter_id=matter.pk)
    document.matter = matter
    if not shows_query_code(request, document):  # issue 14 item 7 (not saved)
        document.context = {**(document.context or {}), "query_code": CODE_WITHHELD}
    redact = redact_for(request.user, matter, list(matter.dispatches.all()))
    return document, redact


@login_required
def document_html(request: AuthedRequest, pk: int, doc_id: int) -> HttpResponse:
    from xinfang.documents import render_html

    document, redact = _document_for(request, pk, doc_id)
    response = HttpResponse(render_html(document, redact_identity=redact))
    response.csp_allow_inline_styles = True  # type: ignore[attr-defined]  # the A4 print CSS
    return response


@login_required
def document_pdf(request: AuthedRequest, pk: int, doc_id: int) -> HttpResponse:
    from xinfang.documents import render_pdf

    document, redact = _document_for(request, pk, doc_id)
    response = HttpResponse(render_pdf(document, redact_identity=redact),
                            content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="document-{document.pk}.pdf"'
    return response

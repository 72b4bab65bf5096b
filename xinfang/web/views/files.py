"""The matter's attachments: upload by the handling chain, download only through the
matter's access check (no public media URL; §30 ¶3), each download audited."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from xinfang.core.http import AuthedRequest
from xinfang.domain.errors import DomainError
from xinfang.petitions import access, attachments, permissions
from xinfang.petitions.models import Attachment

from ..forms import AttachForm
from .matter import done, matter_error


@login_required
def attachment_download(request: AuthedRequest, pk: int, att_id: int) -> FileResponse:
    """A file of the matter, only through the matter's access check (no public media URL)."""
    matter = access.get_matter_for_user(request.user, pk)
    att = get_object_or_404(Attachment, pk=att_id, matter_id=matter.pk)
    if not attachments.can_download(request.user, matter):
        raise PermissionDenied(gettext("附件含信访人身份信息，仅办理单位可以查看（§30 ¶3）"))
    try:
        handle = att.file.open("rb")
    except OSError as e:
        raise Http404("附件文件不存在") from e
    from xinfang.audit import services as audit

    audit.record("download_attachment", actor=request.user, object_type="attachment",
                 object_id=att.pk, matter_id=matter.pk, data={"name": att.name})
    return FileResponse(handle, as_attachment=True, filename=att.name,
                        content_type=att.content_type)


@login_required
@require_POST
def matter_attach(request: AuthedRequest, pk: int) -> HttpResponse:
    """Add files to a matter (the handling chain): e.g. a retry after a failed upload."""
    matter = access.get_matter_for_user(request.user, pk)
    if not permissions.may(request.user, "attach", matter=matter):
        raise PermissionDenied(gettext("只有办理单位可以上传附件"))
    form = AttachForm(request.POST, request.FILES, prefix="attach")
    try:
        if not form.is_valid():
            raise attachments.AttachmentError("；".join(str(e) for e in form.errors.get("files", [])))
        attachments.add_attachments(matter, form.cleaned_data["files"], request.user)
    except DomainError as e:
        return matter_error(request, pk, None, e, e.status)
    return done(request, pk, gettext("附件已上传"))

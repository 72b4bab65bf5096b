"""Sealing a matter's free text when it becomes confidential after it was written (issue 14
item 13).

Each row decides at save time whether its free text is encrypted (``SealedWithMatter``,
``Matter.seals_text``). A matter that becomes confidential later — a correction that makes it a
检举控告 (§30 ¶3), or a 预登记 the visit registers as one — still has rows written in plain
text: :func:`seal_matter_rows` saves every sealable row that belongs to it again, so that they
are encrypted too. The rows are found through the registry of encrypted data
(:func:`xinfang.core.crypto.encrypted_fields`) and each model's ``SEAL_MATTER`` lookup, so a
model added later with sealable fields is covered without a change here.
"""

from __future__ import annotations

from xinfang.core.crypto import encrypted_fields

from .models import Matter


def seal_matter_rows(matter: Matter) -> int:
    """Save every sealable row of ``matter`` (the matter itself included) so that its free
    text is encrypted now that the matter ``seals_text``. Returns the rows written; nothing
    when the matter is not confidential."""
    if not matter.seals_text:
        return 0
    written = 0
    for em in encrypted_fields():
        fields = [*em.sealed, *em.sealed_json]
        if not fields:
            continue
        if em.model is Matter:
            lookup = "pk"
        else:
            lookup = getattr(em.model, "SEAL_MATTER", "")
            if not lookup:
                continue
        rows = em.model._default_manager.filter(**{lookup: matter.pk})
        for row in rows.iterator():
            row.save(update_fields=fields)
            written += 1
    return written

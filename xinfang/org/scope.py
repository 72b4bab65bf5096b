"""Per-process caches that depend on the organisation tree follow its edits in every process
(issue 15 item 4; core.versioned).

What a user may see is computed from their role and unit (in every cache key) and from the
unit's kind and its division's place in the tree, which a cache keyed by the user does not
notice. A saved or deleted unit or division bumps ``SCOPE_VERSION``: every gunicorn worker and
job worker drops what it derived from the old tree (the queue's compiled SQL,
``petitions.queries``) within a second.
"""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from xinfang.core.versioned import bump_on_commit

from .models import Body, Category, Division

SCOPE_VERSION = "org.scope"
# The content categories (their names, tree and order): the forms' choice lists (web.forms).
CATEGORY_VERSION = "org.categories"


@receiver([post_save, post_delete], sender=Body)
@receiver([post_save, post_delete], sender=Division)
def _tree_changed(sender: object, **kwargs: object) -> None:
    bump_on_commit(SCOPE_VERSION)


@receiver([post_save, post_delete], sender=Category)
def _categories_changed(sender: object, **kwargs: object) -> None:
    bump_on_commit(CATEGORY_VERSION)

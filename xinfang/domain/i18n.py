"""Marks the domain's display labels for translation without importing Django.

``makemessages`` extracts the argument of any call named ``gettext_noop``; the domain keeps
the Chinese text (it is also what services store), and the web layer translates it with
``django.utils.translation.gettext`` when it shows the label (template tags in
``xinfang.web.templatetags.xinfang_web``, ``Matter.state_label`` and the forms).
"""

from __future__ import annotations


def gettext_noop(message: str) -> str:
    return message

"""The §40 acts as forms (督办 feedback, the three recommendations, adoption feedback), built
from ``domain.fields.ACT_FIELDS`` like ``forms_acts.ActForm``; a body field offers the active
bodies of the user's jurisdiction (the service judges the choice and names the rule)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.utils.translation import gettext

from xinfang.domain import fields as df
from xinfang.org.models import Body, User
from xinfang.petitions import permissions, routing

from .forms import BodyChoiceField
from .forms_acts import HIDDEN, ActForm, _field

# The id of the 督办单 or 建议书 an answer belongs to: filled in by the page.
ROW_IDS = frozenset({"supervision", "recommendation"})


def _bodies(user: User, bodies: Iterable[Body] | None = None) -> list[tuple[int, str]]:
    return [(b.pk, b.name) for b in (routing.active_bodies() if bodies is None else bodies)
            if permissions.covers(user, b.division.path)]


class OversightForm(ActForm):
    """The input of one §40 act; ``cleaned_data`` is the service's data."""

    def __init__(self, name: str, *args: Any, user: User | None = None,
                 bodies: Iterable[Body] | None = None, **kwargs: Any) -> None:
        forms.Form.__init__(self, *args, **{"prefix": name, **kwargs})
        self.act = name
        required, optional = df.ACT_FIELDS[name]
        choices: list[tuple[int, str]] | None = None
        for n in (*required, *optional):
            spec = df.FIELDS[n]
            if spec.kind == df.Kind.BODY:
                if choices is None:
                    choices = _bodies(user, bodies) if user is not None else []
                self.fields[n] = BodyChoiceField(
                    label=gettext(spec.label), required=n in required, coerce=int,
                    choices=[("", gettext("请选择")), *choices],
                    known=frozenset(pk for pk, _ in choices),
                    help_text=gettext(spec.help) if spec.help else "")
            elif n in ROW_IDS or n in HIDDEN:
                self.fields[n] = forms.IntegerField(widget=forms.HiddenInput(), required=True,
                                                    min_value=1, max_value=spec.max_value)
            else:
                self.fields[n] = _field(spec, required=n in required)

"""The acts beside the state machine as forms, built from ``domain.fields.ACT_FIELDS`` — the
same names, kinds, limits and choices as the API's action serializer."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from xinfang.domain import fields as df

# Fields a page fills in itself (the report a "mark sent" button belongs to).
HIDDEN = frozenset({"report"})


class ActForm(forms.Form):
    """The input of act ``name`` (``df.ACT_FIELDS``); ``cleaned_data`` is the service's data."""

    def __init__(self, name: str, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", name)
        super().__init__(*args, **kwargs)
        self.act = name
        required, optional = df.ACT_FIELDS[name]
        for n in (*required, *optional):
            self.fields[n] = _field(df.FIELDS[n], required=n in required)

    def first_error(self) -> str:
        """The first problem, in Chinese, for the matter page's error line."""
        for name, errors in self.errors.items():
            spec = df.FIELDS.get(name)
            label = gettext(spec.label) if spec else ""
            return f"{label}：{errors[0]}" if label else str(errors[0])
        return gettext("请检查填写的内容")


def _field(spec: df.FieldSpec, *, required: bool) -> forms.Field:
    label = gettext(spec.label)
    if spec.kind == df.Kind.INT:
        widget = forms.HiddenInput() if spec.name in HIDDEN else None
        return forms.IntegerField(label=label, required=required, min_value=spec.min_value,
                                  max_value=spec.max_value, widget=widget)
    if spec.kind == df.Kind.CHOICE:
        choices = [(k, gettext(v)) for k, v in df.CHOICES[spec.choices].items()]
        return forms.ChoiceField(label=label, required=required,
                                 choices=[("", _("请选择")), *choices])
    if spec.kind == df.Kind.LINE:
        return forms.CharField(label=label, required=required, max_length=spec.max_length)
    if spec.kind == df.Kind.TEXT:
        return forms.CharField(label=label, required=required, max_length=spec.max_length,
                               widget=forms.Textarea(attrs={"rows": 3}))
    raise ValueError(f"no act form field for {spec.kind}")  # pragma: no cover

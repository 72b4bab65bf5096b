"""The place, category and unit lists are written in Python (core.widgets.DataSelect): the
same options as Django's select templates, escaped, with the selected one and the language
marks on an English page."""

from __future__ import annotations

from django import forms
from django.utils import translation

from xinfang.core.widgets import DataSelect


class _Form(forms.Form):
    place = forms.ChoiceField(widget=DataSelect, choices=[
        ("", "请选择"), ("1", '城关镇 <b>"东"</b>'), ("2", "Riverside"),
        ("乡镇", [("3", "石桥村"), ("4", "新村")])])


def _options(html: str) -> list[str]:
    return [line for line in html.splitlines() if line.startswith("<option")]


def test_the_list_escapes_labels_and_marks_the_chosen_option() -> None:
    html = str(_Form(initial={"place": "3"})["place"])
    assert html.startswith('<select name="place"') and html.endswith("</select>")
    assert 'id="id_place"' in html
    assert "&lt;b&gt;&quot;东&quot;&lt;/b&gt;" in html and "<b>" not in html
    assert '<option value="3" selected>石桥村</option>' in html
    assert '<optgroup label="乡镇">' in html and html.count("</optgroup>") == 1
    assert len(_options(html)) == 5


def test_an_english_page_marks_only_the_chinese_options() -> None:
    with translation.override("en"):
        html = str(_Form()["place"])
    assert '<option value="4" lang="zh-Hans">新村</option>' in html
    assert '<option value="2">Riverside</option>' in html
    with translation.override("zh-hans"):
        assert "lang=" not in str(_Form()["place"])


def test_a_bound_form_keeps_the_submitted_choice() -> None:
    html = str(_Form(data={"place": "2"})["place"])
    assert '<option value="2" selected>Riverside</option>' in html
    assert '<option value="1" selected' not in html

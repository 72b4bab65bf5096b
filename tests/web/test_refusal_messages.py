"""A crafted POST of an act the page does not offer says why it was refused (found in the
browser: the matter page came back 400 with no message at all)."""

from __future__ import annotations

from tests.scenario import matter


def test_crafted_not_accept_on_a_forwarded_matter_says_why(county, login):
    """§23 ¶3: the receiving unit never refuses a forwarded matter; the page says so."""
    m = matter(county, "signed")
    client = login("handler")
    r = client.post(f"/matters/{m.pk}/act/not_accept/",
                    {"not_accept-reason": "不属本单位"})  # no reason_code: the form is invalid
    body = r.content.decode()
    assert r.status_code in (403, 409)
    assert 'id="action-error"' in body and "不予受理" in body
    m.refresh_from_db()
    assert m.state == "signed"


def test_crafted_act_of_another_role_says_why(county, login):
    """A handler posting the 信访局's 同意退回 gets the refusal, not a silent page."""
    m = matter(county, "signed")
    r = login("handler").post(f"/matters/{m.pk}/act/uphold_objection/", {})
    body = r.content.decode()
    assert r.status_code in (403, 409)
    assert 'id="action-error"' in body and "同意退回" in body

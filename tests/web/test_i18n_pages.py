"""English on the newer staff pages: practice (接访/包案/预防), dashboard, public reception days."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_practice_hub_in_english(client, county):
    client.force_login(county.users["officer"])
    page = client.get("/practice/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="en">' in page
    assert "Petition work mechanisms" in page and "Dispute screening" in page
    assert "信访工作机制" not in page


def test_dashboard_in_english(client, county):
    client.force_login(county.users["leader"])
    page = client.get(reverse("dashboard"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Leadership dashboard" in page and "On-time completion rate" in page
    assert "领导驾驶舱" not in page


def test_public_reception_days_in_english(client, county):
    page = client.get(reverse("practice:portal_schedule"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Leaders' reception days" in page.replace("&#x27;", "'")
    assert "领导接访日程" not in page

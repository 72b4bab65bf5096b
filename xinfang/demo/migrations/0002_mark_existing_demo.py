"""A demo database seeded before the marker existed: mark it, so `seed --fresh` still works.

The demo county lives under the unassigned GB/T 2260 province prefix 99 (安平县 990121); no
real database holds that division, so its presence identifies a database the seed wrote.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations


def mark(apps: Any, schema_editor: Any) -> None:
    Division = apps.get_model("org", "Division")
    DemoMarker = apps.get_model("demo", "DemoMarker")
    if Division.objects.filter(code="990121000000").exists() and not DemoMarker.objects.exists():
        DemoMarker.objects.create(note="seeded before the marker")


class Migration(migrations.Migration):
    dependencies = [("demo", "0001_initial"), ("org", "0002_user_totp")]
    operations = [migrations.RunPython(mark, migrations.RunPython.noop)]

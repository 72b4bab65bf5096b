"""`xinfang annual_report --year 2026 [--division CODE] [--out FILE.pdf]`: the §41 信访情况年度报告
of a division (default: the first county) as a PDF, from the draft (issue 17 item 5)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from xinfang.org.models import Division
from xinfang.practice.services import issued


class Command(BaseCommand):
    help = "§41 信访情况年度报告 (PDF) of a division for a year"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--year", type=int, default=timezone.localdate().year)
        parser.add_argument("--division", default="", help="区划代码（默认：第一个县级区划）")
        parser.add_argument("--out", default="", help="PDF 文件（默认 annual-report-<year>.pdf）")

    def handle(self, *args: Any, **o: Any) -> None:
        qs = Division.objects.filter(code=o["division"]) if o["division"] else \
            Division.objects.filter(level=3).order_by("code")
        division = qs.first()
        if division is None:
            raise CommandError("没有这个区划")
        title, data = issued.build("annual", division, str(o["year"]))
        report = {"kind": "annual", "title": title, "period": str(o["year"]), "version": 0,
                  "data": data, "text": issued.draft_text("annual", title, data),
                  "anchor": {}, "issued_at": f"{timezone.localdate():%Y-%m-%d}（草稿）",
                  "issued_by": "", "changes": []}
        out = Path(o["out"] or f"annual-report-{o['year']}.pdf")
        out.write_bytes(issued.render_pdf(report))
        self.stdout.write(f"{title}: {out} ({out.stat().st_size} bytes)")

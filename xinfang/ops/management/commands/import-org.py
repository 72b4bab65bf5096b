"""`xinfang import-org FILE`: load or update a county's organisation from one Excel workbook.

The whole file is checked first; every bad row is reported with its sheet, line and reason,
and nothing is written while any row is bad. Then one transaction writes what differs (an
unchanged file changes nothing) and reports, per sheet, what was added, changed, unchanged,
and what the database has that the file does not (never deleted: matters refer to it).
New accounts have no password: ``--links FILE --base-url URL`` writes their one-time
设置密码 links to a new file of mode 600. See docs/operations.md ("Loading the organisation").
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from xinfang.ops.orgimport import links
from xinfang.ops.orgimport.check import Problem, check
from xinfang.ops.orgimport.load import load
from xinfang.ops.orgimport.sheets import SHEETS, WorkbookProblem, read_workbook, write_template
from xinfang.org.models import User

SHOWN = 20  # records not in the file named in the report, per sheet


class Command(BaseCommand):
    help = "导入或更新本地的组织机构（行政区划、内容分类、机关单位、分流规则、工作人员）"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", nargs="?", help="组织机构工作簿（.xlsx）")
        parser.add_argument("--template", default="", metavar="FILE",
                            help="写出空白模板（各工作表的列名和说明）后退出")
        parser.add_argument("--dry-run", action="store_true",
                            help="检查并统计将新增、修改的记录，不写入")
        parser.add_argument("--errors", default="", metavar="FILE", help="把有误的行写入该文件")
        parser.add_argument("--user", default="", help="以该账号的名义导入（写入审计日志）")
        parser.add_argument("--links", default="", metavar="FILE",
                            help="为文件中尚无密码的账号生成一次性设置密码链接，写入该新文件（权限600）")
        parser.add_argument("--base-url", default="",
                            help="工作人员访问本系统的地址，如 https://xinfang.example.gov.cn（--links 必填）")

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["template"]:
            write_template(Path(opts["template"]))
            self.stdout.write(f"已写出空白模板 {opts['template']}（工作表：{'、'.join(SHEETS)}、说明）")
            return
        if not opts["file"]:
            raise CommandError("请给出组织机构工作簿（.xlsx），或用 --template FILE 写出空白模板")
        path = Path(opts["file"])
        if not path.is_file():
            raise CommandError(f"找不到文件 {path}")
        if opts["links"] and not opts["base_url"].startswith(("https://", "http://")):
            raise CommandError("--links 需要 --base-url（工作人员访问本系统的地址，如 https://…）")
        if opts["links"] and Path(opts["links"]).exists():
            raise CommandError(f"{opts['links']} 已存在：链接文件不覆盖，请换一个文件名")
        actor = None
        if opts["user"]:
            actor = User.objects.filter(username=opts["user"]).first()
            if actor is None:
                raise CommandError(f"账号“{opts['user']}”不存在")
        try:
            tables, layout = read_workbook(path)
        except WorkbookProblem as exc:
            raise CommandError(str(exc)) from exc
        plan, problems = check(tables, path.name)
        problems = [Problem(*p) for p in layout] + problems
        if problems:
            for p in problems:
                self.stderr.write(str(p))
            if opts["errors"]:
                Path(opts["errors"]).write_text("".join(f"{p}\n" for p in problems),
                                                encoding="utf-8")
            raise CommandError(f"{len(problems)} 处有误，未导入任何记录。")
        outcome = load(plan, actor=actor, dry_run=opts["dry_run"])
        self._report(outcome, dry_run=opts["dry_run"])
        if opts["dry_run"]:
            return
        waiting = links.pending(outcome.staff)
        if opts["links"]:
            n = links.write(Path(opts["links"]), waiting, opts["base_url"])
            self.stdout.write(f"已为 {n} 个尚无密码的账号生成一次性设置密码链接，写入 {opts['links']}"
                              "（仅本人可读）。请逐一交给本人；链接用过或过期即失效。")
        elif waiting:
            self.stdout.write(f"{len(waiting)} 个账号尚无密码：用 --links FILE --base-url URL 再运行"
                              "一次本命令（不会改动数据），为其生成一次性设置密码链接。")

    def _report(self, outcome: Any, *, dry_run: bool) -> None:
        verb = "将" if dry_run else "已"
        for sheet, t in outcome.tallies.items():
            self.stdout.write(f"{sheet}：{verb}新增 {t.added}，{verb}修改 {t.changed}，未变 {t.unchanged}")
            if t.not_in_file:
                names = "、".join(t.not_in_file[:SHOWN])
                more = f" 等 {len(t.not_in_file)} 条" if len(t.not_in_file) > SHOWN else ""
                self.stdout.write(f"  系统中有、文件中没有（未删除，如需停用请在文件或后台中标记）："
                                  f"{names}{more}")
        if dry_run:
            self.stdout.write("试运行：未写入任何记录。")
        elif outcome.writes == 0:
            self.stdout.write("与系统中一致，未作任何改动。")

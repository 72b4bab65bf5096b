"""Writes docs/examples/org-example.xlsx, the organisation of a small fictional county in
the format `xinfang import-org` loads (docs/operations.md, "Loading the organisation").

    PYTHONPATH=. .venv/bin/python docs/examples/make_org_example.py

Codes use the unassigned province prefix 98 so they never clash with a real place (nor with
the demo county's 99). The columns are in the order of ``xinfang.ops.orgimport.sheets.SHEETS``;
tests/ops/test_import_org.py checks the committed workbook still holds exactly these rows.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "org-example.xlsx"

P, C, X = "980000000000", "980200000000", "980223000000"
TOWNS = [("980223100000", "城关镇", [("980223100001", "东街社区"), ("980223100002", "西街社区")]),
         ("980223101000", "柳河镇", [("980223101001", "柳河村"), ("980223101002", "新桥村")]),
         ("980223200000", "石门乡", [("980223200001", "石门村"), ("980223200002", "杨家坪村")])]

# 区划代码, 名称, 上级区划代码
DIVISIONS: list[list[object]] = [[P, "西岭省", ""], [C, "云川市", P], [X, "清河县", C]]
for code, name, villages in TOWNS:
    DIVISIONS.append([code, name, X])
    DIVISIONS += [[v, vname, code] for v, vname in villages]

# 分类代码, 名称, 上级分类代码
CATEGORIES: list[list[object]] = [
    ["CX", "城乡建设", ""], ["CX01", "物业管理", "CX"], ["CX03", "征地拆迁", "CX"],
    ["LD", "劳动和社会保障", ""], ["LD01", "拖欠工资", "LD"],
    ["JY", "教育文体", ""], ["JY02", "招生入学", "JY"],
    ["ZF", "政法", ""], ["ZF01", "涉法涉诉", "ZF"],
    ["JJ", "纪检监察", ""], ["JJ01", "干部作风", "JJ"],
]

GOV, XF = "清河县人民政府", "清河县信访局"
# 名称, 类型, 所属区划代码, 原名称, 简称, 上一级机关, 主管类别, 文号前缀, 地址, 电话, 接待时间, 在用
BODIES: list[list[object]] = [
    ["西岭省人民政府", "党委政府", P, "", "省政府", "", "", "西政信", "", "", "", "是"],
    ["云川市人民政府", "党委政府", C, "", "市政府", "西岭省人民政府", "", "云政信", "", "", "", "是"],
    ["云川市信访局", "信访部门", C, "", "市信访局", "云川市人民政府", "", "云信", "", "", "", "是"],
    [GOV, "党委政府", X, "", "县政府", "云川市人民政府", "", "清政信", "", "", "", "是"],
    [XF, "信访部门", X, "", "县信访局", "云川市信访局", "", "清信",
     "清河县城关镇政务中心一楼", "0798-12345", "工作日 8:30–12:00，14:30–17:30", "是"],
    ["清河县纪委监委", "纪检监察机关", X, "", "县纪委监委", "云川市人民政府", "JJ、JJ01", "清纪",
     "", "", "", "是"],
    ["中共清河县委政法委员会", "政法部门", X, "", "县委政法委", "云川市人民政府", "ZF、ZF01",
     "清政法", "", "", "", "是"],
    ["清河县住房和城乡建设局", "职能部门（事权单位）", X, "", "住建", GOV, "CX、CX01", "清住建",
     "", "", "", "是"],
    ["清河县自然资源局", "职能部门（事权单位）", X, "", "自然资源", GOV, "CX03", "清自然",
     "", "", "", "是"],
    ["清河县人力资源和社会保障局", "职能部门（事权单位）", X, "", "人社", GOV, "LD、LD01", "清人社",
     "", "", "", "是"],
    ["清河县教育局", "职能部门（事权单位）", X, "", "教育", GOV, "JY、JY02", "清教育", "", "", "", "是"],
]
for code, name, _ in TOWNS:
    BODIES.append([f"{name}人民政府", "乡镇人民政府（街道办事处）", code, "", name, GOV, "",
                   f"{name[:2]}信", "", "", "", "是"])

# 事项类别代码, 适用区划代码, 事权单位, 优先级, 说明
RULES: list[list[object]] = [
    ["CX", X, "清河县住房和城乡建设局", "100", ""],
    ["CX01", X, "清河县住房和城乡建设局", "100", ""],
    ["CX03", X, "清河县自然资源局", "100", ""],
    ["LD", X, "清河县人力资源和社会保障局", "100", ""],
    ["JY", X, "清河县教育局", "100", ""],
    ["ZF", X, "中共清河县委政法委员会", "100", "涉法涉诉，诉访分离（§28 ¶2）"],
    ["JJ", X, "清河县纪委监委", "100", "检举控告，按管理权限转纪检监察机关（§22 ¶2）"],
]
RULES += [["CX01", code, f"{name}人民政府", "50", "小区物业纠纷属地乡镇先行处理"]
          for code, name, _ in TOWNS]

# 用户名, 姓名, 所在单位, 角色, 职务, 手机, 电子邮箱, 在用
STAFF: list[list[object]] = [
    ["qh_admin", "周管理", XF, "管理员", "信息科", "", "qh_admin@example.gov.cn", "是"],
    ["qh_dengji", "李登记", XF, "登记员", "接待科科员", "", "", "是"],
    ["qh_xinfang", "王信访", XF, "信访干部", "办信科科长", "", "qh_xinfang@example.gov.cn", "是"],
    ["qh_ducha", "赵督查", XF, "督查", "督查科科长", "", "", "是"],
    ["qh_lingdao", "陈县长", GOV, "领导", "副县长", "", "", "是"],
    ["qh_zhujian", "张承办", "清河县住房和城乡建设局", "承办人", "科员", "", "", "是"],
    ["qh_zhujian_fz", "刘局长", "清河县住房和城乡建设局", "单位负责人", "局长", "", "", "是"],
    ["qh_renshe", "孙人社", "清河县人力资源和社会保障局", "承办人", "科员", "", "", "是"],
    ["qh_chengguan", "郑镇干部", "城关镇人民政府", "承办人", "综治信访干部", "", "", "是"],
]

ROWS = {"行政区划": DIVISIONS, "内容分类": CATEGORIES, "机关单位": BODIES, "分流规则": RULES,
        "工作人员": STAFF}


def main() -> None:
    sys.path.insert(0, str(HERE.parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xinfang.settings")
    import django

    django.setup()
    from xinfang.ops.orgimport.sheets import write_template

    write_template(OUT, ROWS)
    print(OUT)


if __name__ == "__main__":
    main()

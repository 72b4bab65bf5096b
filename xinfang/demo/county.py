"""Build a county's organisation: divisions, bodies, categories, routing rules and staff.

Used by the demo (``full=True``: ~20 departments, 8 townships, ~40 staff) and by the tests
(a smaller county with the same shape). The names are fictional; division codes use the
unassigned GB/T 2260 province prefix 99 so they never clash with a real place.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from xinfang.core.models import StaffTOTPDevice as TOTPDevice
from xinfang.core.second_factor import DEFAULT_ROLES
from xinfang.domain.states import Role
from xinfang.org.models import Body, Category, Division, RoutingRule, User

DEMO_PASSWORD = "xinfang-demo-2026"

TOWNSHIPS = [
    ("001", "城关镇", ["东门社区", "西街社区", "南苑社区", "滨河社区"]),
    ("002", "河口镇", ["河口村", "新桥村", "柳湾村"]),
    ("003", "青石乡", ["青石村", "石门村", "杨家坪村"]),
    ("004", "白沙镇", ["白沙村", "沙坪村", "渡口村"]),
    ("005", "桃源乡", ["桃源村", "李家庄村", "花屋村"]),
    ("006", "龙潭镇", ["龙潭社区", "高坎村", "水口村"]),
    ("007", "石桥镇", ["石桥村", "枫林村", "大塘村"]),
    ("008", "云台乡", ["云台村", "茶园村", "竹山村"]),
]

# (code, name, children) — the top level follows the public message-board taxonomy.
CATEGORIES = [
    ("CX", "城乡建设", [("CX01", "物业管理"), ("CX02", "住房保障"), ("CX03", "征地拆迁"),
                       ("CX04", "规划建设"), ("CX05", "市政设施")]),
    ("LD", "劳动和社会保障", [("LD01", "拖欠工资"), ("LD02", "社会保险"), ("LD03", "就业创业")]),
    ("JY", "教育文体", [("JY01", "教育管理"), ("JY02", "招生入学"), ("JY03", "文体设施")]),
    ("SM", "商贸旅游", [("SM01", "市场监管"), ("SM02", "消费维权"), ("SM03", "旅游管理")]),
    ("WS", "卫生计生", [("WS01", "医疗服务"), ("WS02", "医疗保障"), ("WS03", "公共卫生")]),
    ("HB", "环境保护", [("HB01", "大气污染"), ("HB02", "噪声污染"), ("HB03", "水污染")]),
    ("JT", "交通运输", [("JT01", "道路建设"), ("JT02", "公共交通"), ("JT03", "出租车管理")]),
    ("NY", "农村农业", [("NY01", "土地承包"), ("NY02", "惠农补贴")]),
    ("ZF", "政法", [("ZF01", "涉法涉诉"), ("ZF02", "治安管理")]),
    ("JJ", "纪检监察", [("JJ01", "干部作风"), ("JJ02", "违纪违法")]),
    ("MZ", "民政", [("MZ01", "社会救助"), ("MZ02", "养老服务")]),
]

# (short, name, category codes it is competent for)
DEPARTMENTS = [
    ("住建", "安平县住房和城乡建设局", ["CX", "CX01", "CX02", "CX04"]),
    ("自然资源", "安平县自然资源局", ["CX03"]),
    ("城管", "安平县城市管理局", ["CX05"]),
    ("人社", "安平县人力资源和社会保障局", ["LD", "LD01", "LD02", "LD03"]),
    ("教育", "安平县教育局", ["JY", "JY01", "JY02"]),
    ("文旅", "安平县文化广电和旅游局", ["JY03", "SM03"]),
    ("市监", "安平县市场监督管理局", ["SM", "SM01", "SM02"]),
    ("卫健", "安平县卫生健康局", ["WS", "WS01", "WS03"]),
    ("医保", "安平县医疗保障局", ["WS02"]),
    ("环境", "临江市生态环境局安平分局", ["HB", "HB01", "HB02", "HB03"]),
    ("交通", "安平县交通运输局", ["JT", "JT01", "JT02", "JT03"]),
    ("农业", "安平县农业农村局", ["NY", "NY01", "NY02"]),
    ("民政", "安平县民政局", ["MZ", "MZ01", "MZ02"]),
    ("公安", "安平县公安局", ["ZF02"]),
    ("财政", "安平县财政局", []),
    ("水利", "安平县水利局", []),
    ("应急", "安平县应急管理局", []),
    ("退役", "安平县退役军人事务局", []),
    ("商务", "安平县商务局", []),
    ("司法", "安平县司法局", []),
]


@dataclass
class County:
    province: Division
    city: Division
    county: Division
    townships: list[Division]
    villages: list[Division]
    city_gov: Body
    city_xinfang: Body
    gov: Body
    xinfang: Body
    discipline: Body
    political_legal: Body
    departments: dict[str, Body]
    township_govs: list[Body]
    categories: dict[str, Category]
    users: dict[str, User] = field(default_factory=dict)

    def dept(self, short: str) -> Body:
        return self.departments[short]


def mark_verified(client: Any, user: User) -> None:
    """After ``client.force_login(user)``: the session as after the full log-in (password and,
    for an account with a second factor, its code), marked the way django-otp's own log-in
    marks it. Development only (the bench, the screenshots, the tests' force_login)."""
    from django_otp import DEVICE_ID_SESSION_KEY

    device = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("id").first()
    if device is not None:
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()


def logged_in_client(user: User) -> Any:
    """A test client logged in as ``user`` with the second factor (bench, screenshots)."""
    from django.test import Client

    client = Client()
    client.force_login(user)
    mark_verified(client, user)
    return client


def demo_otp_key(username: str) -> str:
    """The demo's published TOTP secret of an account (hex, 20 bytes): derived from the
    username, so `xinfang demo-otp <username>` can print the current code. Demo only."""
    return hashlib.sha1(f"xinfang-demo-otp:{username}".encode()).hexdigest()


def _user(username: str, name: str, role: Role, body: Body, title: str = "",
          password: str = DEMO_PASSWORD) -> User:
    u = User(username=username, display_name=name, role=role.value, body=body, title=title,
             is_staff=role == Role.ADMIN, is_superuser=role == Role.ADMIN)
    u.set_password(password)
    u.save()
    if role.value in DEFAULT_ROLES or u.is_superuser:
        # These roles must log in with a second factor (core.second_factor): enrolled with
        # the published demo secret.
        TOTPDevice.objects.create(user=u, name="演示验证器", confirmed=True,
                                  key=demo_otp_key(username))
    return u


@transaction.atomic
def build_county(*, full: bool = True, password: str = DEMO_PASSWORD) -> County:
    province = Division.objects.create(code="990000000000", name="东江省", level=1)
    city = Division.objects.create(code="990100000000", name="临江市", level=2, parent=province)
    county = Division.objects.create(code="990121000000", name="安平县", level=3, parent=city)
    towns, villages = [], []
    for code, name, vills in TOWNSHIPS if full else TOWNSHIPS[:3]:
        t = Division.objects.create(code=f"990121{code}000", name=name, level=4, parent=county)
        towns.append(t)
        for i, v in enumerate(vills if full else vills[:2], start=1):
            villages.append(Division.objects.create(
                code=f"990121{code}{i:03d}", name=v, level=5, parent=t))

    cats: dict[str, Category] = {}
    for code, name, children in CATEGORIES:
        top = Category.objects.create(code=code, name=name)
        cats[code] = top
        for ccode, cname in children:
            cats[ccode] = Category.objects.create(code=ccode, name=cname, parent=top)

    K = Body.Kind
    prov_gov = Body.objects.create(name="东江省人民政府", short_name="省政府", kind=K.PARTY_GOV,
                                   division=province, doc_prefix="东政信")
    city_gov = Body.objects.create(name="临江市人民政府", short_name="市政府", kind=K.PARTY_GOV,
                                   division=city, parent=prov_gov, doc_prefix="临政信")
    Body.objects.create(name="东江省信访局", short_name="省信访局", kind=K.XINFANG,
                        division=province, doc_prefix="东信")
    city_xf = Body.objects.create(name="临江市信访局", short_name="市信访局", kind=K.XINFANG,
                                  division=city, parent=city_gov, doc_prefix="临信")
    gov = Body.objects.create(name="安平县人民政府", short_name="县政府", kind=K.PARTY_GOV,
                              division=county, parent=city_gov, doc_prefix="安政信")
    xf = Body.objects.create(
        name="安平县信访局", short_name="县信访局", kind=K.XINFANG, division=county,
        parent=city_xf, doc_prefix="安信", address="安平县城关镇人民路88号县政务中心一楼",
        phone="0799-12345", reception_hours="工作日 8:30–12:00，14:30–17:30",
    )
    disc = Body.objects.create(name="安平县纪委监委", short_name="县纪委监委", kind=K.DISCIPLINE,
                               division=county, parent=city_gov, doc_prefix="安纪")
    pl = Body.objects.create(name="中共安平县委政法委员会", short_name="县委政法委",
                             kind=K.POLITICAL_LEGAL, division=county, parent=city_gov,
                             doc_prefix="安政法")
    depts: dict[str, Body] = {}
    for short, name, codes in DEPARTMENTS if full else DEPARTMENTS[:8]:
        b = Body.objects.create(name=name, short_name=short, kind=K.DEPARTMENT, division=county,
                                parent=gov, doc_prefix=f"安{short}")
        b.categories.set([cats[code] for code in codes])
        depts[short] = b
        for code in codes:
            RoutingRule.objects.create(category=cats[code], division=county, body=b)
    tgovs = []
    for t in towns:
        tg = Body.objects.create(name=f"{t.name}人民政府", short_name=t.name, kind=K.TOWNSHIP,
                                 division=t, parent=gov, doc_prefix=f"{t.name[:2]}信")
        tgovs.append(tg)
        # 属地管理: property disputes inside a township go to the township first (§22 ¶1 (2)).
        RoutingRule.objects.create(category=cats["CX01"], division=t, body=tg,
                                   note="小区物业纠纷属地乡镇（街道）先行处理")
    RoutingRule.objects.create(category=cats["ZF"], division=county, body=pl,
                               note="涉法涉诉，诉访分离（§28 ¶2）")
    RoutingRule.objects.create(category=cats["JJ"], division=county, body=disc,
                               note="检举控告，按管理权限转纪检监察机关（§22 ¶2）")

    c = County(province, city, county, towns, villages, city_gov, city_xf, gov, xf, disc, pl,
               depts, tgovs, cats)
    R = Role
    c.users["registrar"] = _user("dengji", "李登记", R.REGISTRAR, xf, "接待科科员", password)
    c.users["officer"] = _user("xinfang", "王信访", R.OFFICER, xf, "办信科科长", password)
    c.users["supervisor"] = _user("ducha", "赵督查", R.SUPERVISOR, xf, "督查科科长", password)
    c.users["leader"] = _user("lingdao", "陈县长", R.LEADER, gov, "副县长", password)
    c.users["admin"] = _user("admin", "系统管理员", R.ADMIN, xf, "", password)
    c.users["handler"] = _user("chengban", "张承办", R.HANDLER, depts["住建"], "科员", password)
    c.users["unit_head"] = _user("fuzeren", "刘局长", R.UNIT_HEAD, depts["住建"], "局长", password)
    c.users["gov_officer"] = _user("xianfu", "周秘书", R.OFFICER, gov, "县政府办信访科", password)
    c.users["city_officer"] = _user("shixinfang", "吴市信访", R.OFFICER, city_gov, "", password)
    c.users["other_handler"] = _user("renshe", "孙人社", R.HANDLER, depts["人社"], "科员", password)
    c.users["town_handler"] = _user("chengguan", "郑镇干部", R.HANDLER, tgovs[0], "", password)
    if full:
        names = iter("钱冯何吕施孔曹严华金魏陶姜戚谢邹喻柏水窦章云苏潘葛奚范彭郎鲁韦昌马苗凤")
        for short, b in depts.items():
            if short in ("住建",):
                continue
            n = next(names, "林")
            _user(f"cb_{b.pk}", f"{n}承办", R.HANDLER, b, "科员", password)
            if short in ("人社", "教育", "卫健", "市监", "环境", "交通", "自然资源", "城管"):
                _user(f"fz_{b.pk}", f"{n}局长", R.UNIT_HEAD, b, "负责人", password)
        for tg in tgovs[1:]:
            _user(f"zh_{tg.pk}", f"{next(names, '林')}干部", R.HANDLER, tg, "综治信访干部", password)
        _user("xinfang2", "黄信访", R.OFFICER, xf, "办信科", password)
        _user("dengji2", "许登记", R.REGISTRAR, xf, "接待科", password)
        _user("lingdao2", "林书记", R.LEADER, gov, "县委副书记", password)
    return c

"""Demo content: real citizens' messages (../shared/data) or a built-in list of samples.

The public message-board data (README in ../shared/data) has anonymised places (A市, A2区);
they are replaced by the demo county's names. messages/test.csv is never read: it is the
text models' held-out evaluation set.
"""

from __future__ import annotations

import csv
import re
import zlib
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

DATA_DIR = settings.PROJECT_DIR.parent / "shared" / "data"

# Board label (一级标签) → top category code of xinfang.demo.county.CATEGORIES.
LABEL_TOP = {"城乡建设": "CX", "劳动和社会保障": "LD", "教育文体": "JY", "商贸旅游": "SM",
             "卫生计生": "WS", "环境保护": "HB", "交通运输": "JT"}

# Sub-category keywords, most specific first; the first hit wins.
KEYWORDS: list[tuple[str, tuple[str, ...]]] = [
    ("ZF01", ("法院", "判决", "强制执行", "诉讼", "检察院", "仲裁裁决")),
    ("JJ01", ("贪污", "受贿", "腐败", "吃拿卡要", "违纪")),
    ("CX01", ("物业", "业委会", "业主委员会", "小区停车")),
    ("CX03", ("征地", "拆迁", "房屋征收", "安置补偿")),
    ("LD01", ("工资", "欠薪", "农民工", "拖欠")),
    ("JY02", ("入学", "学位", "招生", "划片", "小升初", "幼升小")),
    ("WS02", ("医保", "报销", "新农合")),
    ("HB02", ("噪音", "噪声", "扰民")),
    ("JT03", ("出租车", "网约车", "的士")),
    ("JT02", ("公交", "地铁", "班车")),
    ("LD02", ("社保", "养老保险", "退休", "公积金", "失业保险")),
    ("CX02", ("公租房", "廉租", "保障房", "房产证", "不动产证", "安置房")),
    ("CX05", ("积水", "路灯", "下水道", "供水", "停水", "燃气", "排水", "管网")),
    ("CX04", ("规划", "违建", "违章建筑", "开发商", "楼盘", "施工")),
    ("HB03", ("污水", "排污", "水质", "河道")),
    ("HB01", ("粉尘", "异味", "臭", "焚烧", "废气", "油烟", "扬尘")),
    ("WS01", ("医院", "医生", "手术", "医疗", "诊所")),
    ("WS03", ("疫苗", "卫生", "防疫", "计生")),
    ("SM02", ("退款", "消费者", "欺诈", "商家", "预付卡", "退费")),
    ("SM03", ("旅游", "景区")),
    ("SM01", ("价格", "无证", "食品", "假冒", "收费")),
    ("JY01", ("学校", "老师", "教师", "补课", "学生")),
    ("JY03", ("体育", "图书馆", "文化", "广场舞")),
    ("LD03", ("就业", "招聘", "创业", "人才")),
    ("NY01", ("土地承包", "承包地", "耕地", "宅基地")),
    ("NY02", ("补贴", "惠农", "扶贫")),
    ("MZ01", ("低保", "救助", "困难户")),
    ("MZ02", ("养老院", "老人", "养老服务")),
    ("JT01", ("道路", "修路", "路面", "公路", "马路")),
    ("ZF02", ("派出所", "治安", "诈骗", "报警")),
]

LEGAL_BASIS = {
    "CX": "《物业管理条例》《城乡规划法》及相关规定", "LD": "《劳动法》《保障农民工工资支付条例》",
    "JY": "《义务教育法》及本县招生入学政策", "SM": "《消费者权益保护法》《价格法》",
    "WS": "《基本医疗卫生与健康促进法》《医疗纠纷预防和处理条例》",
    "HB": "《环境保护法》《噪声污染防治法》《大气污染防治法》",
    "JT": "《公路法》《城市公共交通条例》", "NY": "《农村土地承包法》",
    "MZ": "《社会救助暂行办法》", "ZF": "《信访工作条例》第二十八条",
    "JJ": "《信访工作条例》第三十条",
}


@dataclass(frozen=True)
class Message:
    title: str
    content: str
    category: str  # sub-category code (e.g. "CX01")
    reply: str = ""  # the official reply, when the source has one


def categorize(text: str, top: str | None = None) -> str | None:
    for code, words in KEYWORDS:
        if top and not code.startswith(top):
            continue
        if any(w in text for w in words):
            return code
    return f"{top}01" if top else None


_PLACE = re.compile(r"[A-Z][0-9]{0,2}(?:市|区|县)")
_TOWNS = ["城关镇", "河口镇", "青石乡", "白沙镇", "桃源乡", "龙潭镇", "石桥镇", "云台乡"]


def localise(text: str) -> str:
    """A市 → 安平县, A2区 → one of the county's townships (stable per name)."""
    def town(m: re.Match[str]) -> str:
        s = m.group(0)
        if len(s) == 2 and s.endswith("市"):
            return "安平县"
        return _TOWNS[zlib.crc32(s.encode()) % len(_TOWNS)]
    text = _PLACE.sub(town, text).replace("西地省", "东江省").replace("安平县安平县", "安平县")
    lines = [ln.strip() for ln in text.replace("\r", "\n").split("\n")]
    return "\n".join(ln for ln in lines if ln)


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def load_messages(data_dir: Path | None = None) -> list[Message]:
    """Real messages when the data directory exists, otherwise the built-in samples."""
    d = data_dir or DATA_DIR
    out: list[Message] = []
    seen: set[str] = set()
    replies = d / "tipdm2020c" / "messages-with-replies.csv"
    train = d / "messages" / "train.csv"
    if replies.exists():
        for row in _read(replies):
            title, body = localise(row.get("留言主题", "")), localise(row.get("留言详情", ""))
            cat = categorize(title + body)
            if not title or len(body) < 20 or cat is None or body in seen:
                continue
            seen.add(body)
            out.append(Message(title[:120], body[:3000], cat, localise(row.get("答复意见", ""))[:3000]))
    if train.exists():
        for row in _read(train):
            top = LABEL_TOP.get(row.get("label", ""))
            title, body = localise(row.get("title", "")), localise(row.get("body", ""))
            if not top or not title or len(body) < 20 or body in seen:
                continue
            seen.add(body)
            out.append(Message(title[:120], body[:3000], categorize(title + body, top) or f"{top}01"))
    return out or list(SAMPLES)


def _s(cat: str, title: str, content: str) -> Message:
    return Message(title, content, cat)


SAMPLES: tuple[Message, ...] = (
    _s("CX01", "阳光小区物业乱收停车费", "阳光小区物业公司自今年三月起将地面停车费由每月100元涨到300元，未经业主大会表决，业主多次反映无果，请求有关部门调查处理。"),
    _s("CX01", "小区电梯长期故障物业不维修", "锦绣家园5栋电梯近两个月多次困人，物业以维修基金未批为由迟迟不修，老人上下楼十分困难。"),
    _s("CX01", "物业公司撤场后小区无人管理", "滨河花园原物业公司突然撤场，垃圾堆积、路灯不亮，街道和社区至今未安排新的物业。"),
    _s("LD01", "建筑工地拖欠农民工工资", "我们12名工人在城关镇某安置房项目做木工，工程已完工半年，包工头拖欠工资共计36万元，请求帮助追讨。"),
    _s("LD01", "餐饮店老板拖欠员工三个月工资", "本人在县城一家餐饮店工作，老板以生意不好为由拖欠三个月工资1.2万元，现已关店联系不上。"),
    _s("LD02", "单位未按规定缴纳社保", "我在某物流公司工作四年，公司一直未给我缴纳养老保险和医疗保险，请求责令补缴。"),
    _s("LD02", "退休工资核算有误", "本人去年退休，养老金核定时漏算了在乡镇企业工作的8年工龄，申请重新核算。"),
    _s("HB02", "夜间施工噪音扰民", "人民路与建设路交叉口工地每晚施工到凌晨两点，噪音巨大，周边居民无法入睡，请求依法查处。"),
    _s("HB02", "广场舞音响声音过大", "南苑社区广场每晚跳广场舞音响开得很大，直到十点以后，影响学生学习和老人休息。"),
    _s("HB01", "养殖场臭味严重影响生活", "河口村附近一家养猪场粪污直排，臭味熏天，夏天根本不敢开窗，请求环保部门处理。"),
    _s("HB03", "工厂偷排污水污染河道", "白沙镇渡口村上游有一家小作坊夜间向河里排放污水，河水发黑发臭，鱼大量死亡。"),
    _s("CX03", "征地补偿款至今未发放", "2023年我村部分耕地被征收用于修建工业园，每户应得的征地补偿款至今未足额发放，村民多次询问无果。"),
    _s("CX03", "房屋拆迁补偿标准不合理", "我家房屋被列入旧城改造范围，评估价格明显低于周边同类房屋市场价，请求重新评估。"),
    _s("JY02", "孩子入学学位被划片排除", "我家住在西街社区，户口也在本片区，今年孩子上一年级却被告知学位已满，要求到很远的学校就读。"),
    _s("JY02", "随迁子女入学手续繁琐", "我们是在县城务工的外地人员，孩子入学需要开具十多种证明，请求简化随迁子女入学材料。"),
    _s("JY01", "学校老师违规有偿补课", "某中学个别老师在校外开办补习班，暗示学生参加，每月收费800元，家长负担很重。"),
    _s("WS01", "医院手术后出现并发症要求说法", "我母亲在县医院做胆囊手术后出现感染，医院推诿责任，请求组织医疗事故鉴定并依法处理医疗纠纷。"),
    _s("WS01", "医院乱收费重复检查", "在县医院住院期间被多收了检查费，有些检查根本没有做，请求核查退费。"),
    _s("WS02", "异地就医医保报销难", "我在省城住院花费5万元，回县里办理医保报销时被告知缺少备案手续，无法报销。"),
    _s("CX05", "道路积水严重出行困难", "每逢下雨，人民路东段积水深达半米，车辆熄火，行人无法通行，请求尽快改造排水管网。"),
    _s("CX05", "小区停水多日无人处理", "龙潭社区近一周多次停水，事先没有任何通知，居民生活受到严重影响。"),
    _s("CX05", "路灯损坏长期不亮", "滨河路沿线十多盏路灯损坏半年未修，晚上漆黑一片，行人安全没有保障。"),
    _s("CX04", "违章建筑影响通风采光", "邻居在自家楼顶违规加建两层，严重影响我家采光通风，请求城管部门依法拆除。"),
    _s("CX02", "安置房房产证多年办不下来", "我们是2016年搬进安置小区的，至今没有办理不动产权证，子女上学、落户都受影响。"),
    _s("CX02", "公租房申请迟迟未审批", "本人符合公租房申请条件，材料提交已经半年，至今没有审核结果，请求答复。"),
    _s("JT01", "村道破损严重多年未修", "青石乡石门村通村公路坑洼不平，雨天泥泞，校车无法通行，请求列入道路维修计划。"),
    _s("JT02", "乡镇公交班次太少", "云台乡到县城的公交车每天只有两班，群众看病办事十分不便，建议增加班次。"),
    _s("JT03", "出租车拒载和不打表", "县城部分出租车在车站拒载短途乘客，不打表一口价，请求加强监管。"),
    _s("SM02", "健身房收取预付费后跑路", "县城一家健身房收取会员年费后突然关门，老板失联，上百名会员损失惨重。"),
    _s("SM01", "农贸市场缺斤少两", "城关镇农贸市场部分摊贩使用作弊秤，缺斤少两现象严重，请求市场监管部门查处。"),
    _s("SM01", "超市销售过期食品", "在某超市购买的牛奶已经过期一周仍在销售，请求依法处理。"),
    _s("NY01", "土地承包经营权被村里收回", "我家承包的3亩地被村委会以修路为名收回，没有任何补偿，也没有签协议。"),
    _s("NY02", "耕地地力保护补贴未到账", "今年的耕地地力保护补贴村里其他人都领到了，我家的一直没有到账。"),
    _s("MZ01", "低保资格被取消请求复核", "我丈夫重病卧床，家中没有劳动力，今年低保资格被取消，请求重新审核。"),
    _s("MZ02", "建议在村里建设老年食堂", "我村留守老人较多，建议建设村级老年食堂，解决老人吃饭难问题。"),
    _s("JY03", "建议建设社区健身场所", "城关镇新建小区较多但缺少公共健身场所，建议利用闲置空地建设小型体育公园。"),
    _s("ZF01", "法院判决长期得不到执行", "我与某公司的借款纠纷法院已判决三年，对方有财产却一直未执行到位，请求督促执行。"),
    _s("ZF02", "电信诈骗报案后无进展", "我被冒充客服诈骗4万元，已向派出所报案两个月，至今没有任何进展。"),
    _s("JJ01", "村干部优亲厚友违规评定低保", "桃源村村干部将不符合条件的亲属纳入低保，真正困难的群众却评不上，请求调查处理。"),
    _s("JJ02", "站所工作人员办事吃拿卡要", "某乡镇站所工作人员为群众办理证件时暗示收取好处费，不给就拖着不办。"),
)

REPORTS: tuple[Message, ...] = (
    _s("JJ01", "反映村干部侵占集体收入", "李家庄村村委会主任将村集体鱼塘承包收入据为己有，账目长期不公开，请求纪检监察机关调查。"),
    _s("JJ02", "反映某局工作人员违规收受礼金", "某局一名科长在审批工作中多次收受企业礼金和购物卡，请求依纪依法查处。"),
    _s("JJ01", "反映乡镇干部工作作风粗暴", "某乡镇干部在征地工作中态度粗暴，对群众推搡辱骂，请求严肃处理。"),
    _s("JJ02", "反映扶贫项目资金被挪用", "花屋村2024年扶贫产业项目资金部分被挪作他用，项目至今未建成。"),
    _s("SM01", "举报企业无证生产食品", "白沙镇一家作坊无证生产豆制品，卫生条件极差，产品销往多个学校食堂。"),
    _s("HB03", "举报企业夜间偷排废水", "龙潭镇某化工企业夜间通过暗管偷排废水，附近水井水质变黄发臭。"),
    _s("LD01", "举报劳务公司恶意欠薪", "某劳务公司以项目款未结为由长期拖欠数十名工人工资，负责人转移财产准备跑路。"),
    _s("CX04", "举报开发商未批先建", "城关镇某楼盘未取得施工许可证就开工建设并对外预售，请求依法查处。"),
)

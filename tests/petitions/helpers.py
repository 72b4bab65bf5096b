from __future__ import annotations

from datetime import datetime

from xinfang.domain import idcard
from xinfang.petitions import services
from xinfang.petitions.services import PetitionerIn, Registration

ID_A = idcard.make("99012119800101123")
ID_B = idcard.make("99012119900202234")


def registration(county, *, when: datetime, klass: str = "appeal", phone: str = "13800138000",
                 id_number: str = ID_A, **kw) -> Registration:
    base = dict(
        channel="visit",
        title="小区物业乱收停车费",
        request="请求责令物业公司退还多收的停车费",
        content="阳光小区物业公司自今年起每月多收停车费200元，业主多次反映无果。",
        division=county.villages[0],
        received_at=when,
        klass=klass,
        category=county.categories["CX01"],
        petitioners=[PetitionerIn(name="王大明", id_number=id_number, phone=phone,
                                  address="安平县城关镇东门社区3栋")],
    )
    base.update(kw)
    return Registration(**base)


def register(county, when: datetime, **kw):
    return services.register(registration(county, when=when, **kw), holder=county.xinfang,
                             user=county.users["registrar"])


def accepted(county, when: datetime, route: str = "§31（六）"):
    """A matter registered at ``when``, forwarded to 住建, signed for and accepted (call it
    under a frozen clock at or after ``when``)."""
    officer, handler = county.users["officer"], county.users["handler"]
    m = register(county, when)
    m = services.transition(m, "forward", user=officer, data={"to_body": county.dept("住建").pk})
    m = services.transition(m, "sign", user=handler)
    return services.transition(m, "accept", user=handler, data={"route": route})

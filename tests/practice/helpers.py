from __future__ import annotations

from xinfang.core.models import StaffTOTPDevice as TOTPDevice
from xinfang.domain.states import Role
from xinfang.org.models import User
from xinfang.practice import services as svc


def county_leader(county, username: str, name: str, *, principal: bool = False) -> User:
    u = User.objects.create(username=username, display_name=name, role=Role.LEADER.value,
                            body=county.gov, title="副县长")
    # A leader must have a second factor (core.second_factor): this one has enrolled.
    TOTPDevice.objects.create(user=u, name="验证器", confirmed=True)
    svc.set_leader_profile(u, user=county.users["officer"], is_principal=principal)
    return u

"""API tokens (issue 14 items 4–5): issued after the password AND the second factor, stored as
a digest (knox, ``org.ApiToken``), expiring, named, listed and revoked by their owner.

- ``POST /api/v1/auth/token``: username, password, otp (when the account has a device), name.
  The password goes through ``LockoutBackend``; the code through ``core.totp.check`` (single
  use, wrong codes lock the device). An account whose role must have a second factor and has
  none gets no token until it enrols on the web.
- ``POST /api/v1/auth/logout``: revokes the token the call carries.
- ``GET /api/v1/auth/tokens``, ``DELETE /api/v1/auth/tokens/<key>``: one's own live tokens.
Every issue and revocation is an audit row (``audit.accounts``).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from knox.auth import TokenAuthentication
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from xinfang.audit import accounts
from xinfang.core import second_factor, totp
from xinfang.core.http import AuthedAPIRequest
from xinfang.domain.errors import GuardFailed
from xinfang.org.models import ApiToken, User

from .views import ApiView

_DETAIL = inline_serializer("AuthError", {"detail": serializers.CharField(),
                                          "code": serializers.CharField(required=False)})


class TokenRequestSerializer(serializers.Serializer[Any]):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=256, trim_whitespace=False,
                                     style={"input_type": "password"})
    otp = serializers.CharField(max_length=8, required=False, allow_blank=True,
                                help_text="动态验证码（已启用动态口令的账号必填）")
    name = serializers.CharField(max_length=60, required=False, allow_blank=True,
                                 help_text="令牌用途，如“区县对接系统”")


class TokenSerializer(serializers.ModelSerializer[ApiToken]):
    key = serializers.CharField(source="token_key", read_only=True,
                                help_text="令牌开头的字符，用于撤销")

    class Meta:
        model = ApiToken
        fields = ["key", "name", "created", "expiry"]


class IssuedTokenSerializer(TokenSerializer):
    token = serializers.CharField(read_only=True, help_text="令牌本身，只在签发时返回一次")

    class Meta(TokenSerializer.Meta):
        fields = [*TokenSerializer.Meta.fields, "token"]


def _refuse(message: str, code: str, http: int = status.HTTP_400_BAD_REQUEST) -> Response:
    return Response({"detail": message, "code": code}, status=http)


class TokenView(ApiView):
    """Issue a token for the password and, once the account has one, the second factor."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    @extend_schema(request=TokenRequestSerializer,
                   responses={200: IssuedTokenSerializer, 400: _DETAIL, 403: _DETAIL},
                   summary="签发接口令牌（密码＋动态验证码）")
    def post(self, request: Request) -> Response:
        form = TokenRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        try:
            user = authenticate(request._request, username=data["username"],
                                password=data["password"])
        except DjangoValidationError as e:  # LoginLocked: too many wrong passwords
            return _refuse(" ".join(e.messages), "locked")
        if user is None or not user.is_active:
            return _refuse(gettext("用户名或密码不正确，请重新输入。"), "invalid_login")
        try:
            device = totp.check(user, data.get("otp", ""))
        except totp.SecondFactorError as e:
            return _refuse(e.message(), e.code)
        if device is None and second_factor.required_for(user):
            return _refuse(gettext(second_factor.MSG_ENROL), "otp_enrol",
                           status.HTTP_403_FORBIDDEN)
        assert isinstance(user, User)
        try:
            instance, token = accounts.create_token(user, data.get("name", ""))
        except GuardFailed as e:
            return _refuse(gettext(str(e)), "token_limit", status.HTTP_403_FORBIDDEN)
        body = IssuedTokenSerializer(instance).data
        body["token"] = token
        return Response(body)


class LogoutView(ApiView):
    """Revoke the token this call carries."""

    authentication_classes = [TokenAuthentication]

    @extend_schema(request=None, responses={204: OpenApiResponse(description="令牌已撤销")},
                   summary="退出：撤销当前接口令牌")
    def post(self, request: AuthedAPIRequest) -> Response:
        assert isinstance(request.auth, ApiToken)  # TokenAuthentication is this view's only one
        accounts.revoke_token(request.user, request.auth, reason="logout")
        return Response(status=status.HTTP_204_NO_CONTENT)


class TokenListView(ApiView):
    @extend_schema(responses={200: TokenSerializer(many=True)}, summary="我的有效接口令牌")
    def get(self, request: AuthedAPIRequest) -> Response:
        tokens = ApiToken.objects.filter(user_id=request.user.pk, expiry__gt=timezone.now())
        return Response(TokenSerializer(tokens, many=True).data)


class TokenRevokeView(ApiView):
    @extend_schema(request=None, responses={204: OpenApiResponse(description="令牌已撤销"),
                                            404: _DETAIL},
                   summary="撤销自己的一个接口令牌")
    def delete(self, request: AuthedAPIRequest, key: str) -> Response:
        try:
            accounts.revoke_own_token(request.user, key)
        except GuardFailed as e:
            return Response({"detail": gettext(str(e))}, status=status.HTTP_404_NOT_FOUND)
        return Response(status=status.HTTP_204_NO_CONTENT)

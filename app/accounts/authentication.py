from django.utils.translation import gettext_lazy as _
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework_simplejwt import authentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.utils import get_md5_hash_password

from . import selectors
from .models import User


class JWTAuthentication(authentication.JWTAuthentication):
    """simplejwt's JWTAuthentication, reading the token's user with accounts.selectors.user_by_id.

    get_user makes simplejwt's checks, in its order and with its errors: the user must exist and be
    active (a deactivated user's access tokens stop working at once, not when they expire), and with
    CHECK_REVOKE_TOKEN the password must be the one the token was issued under.
    """

    def get_user(self, validated_token):
        if api_settings.USER_ID_FIELD != User._meta.pk.name:
            return super().get_user(validated_token)
        try:
            user_id = validated_token[api_settings.USER_ID_CLAIM]
        except KeyError as exc:
            raise InvalidToken(_("Token contained no recognizable user identification")) from exc

        user = selectors.user_by_id(user_id)
        if user is None:
            raise AuthenticationFailed(_("User not found"), code="user_not_found")
        if api_settings.CHECK_USER_IS_ACTIVE and not user.is_active:
            raise AuthenticationFailed(_("User is inactive"), code="user_inactive")
        if api_settings.CHECK_REVOKE_TOKEN and validated_token.get(
            api_settings.REVOKE_TOKEN_CLAIM
        ) != get_md5_hash_password(user.password):
            raise AuthenticationFailed(_("The user's password has been changed."), code="password_changed")
        return user


class JWTScheme(SimpleJWTScheme):
    """The OpenAPI security scheme of simplejwt's class (jwtAuth, bearer JWT), for this subclass."""

    target_class = JWTAuthentication

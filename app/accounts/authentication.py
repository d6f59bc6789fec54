import time

from django.utils.translation import gettext_lazy as _
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework_simplejwt import authentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import BlacklistMixin
from rest_framework_simplejwt.utils import get_md5_hash_password

from . import selectors
from .models import User


class JWTAuthentication(authentication.JWTAuthentication):
    """simplejwt's JWTAuthentication, reading the token's user with accounts.selectors.user_by_id.

    get_user makes simplejwt's checks, in its order and with its errors: the user must exist and be
    active (a deactivated user's access tokens stop working at once, not when they expire), and with
    CHECK_REVOKE_TOKEN the password must be the one the token was issued under.
    """

    def get_validated_token(self, raw_token):
        """simplejwt's, remembering the tokens it accepted until they expire.

        Decoding and verifying a token is pure: the same bytes under the same key give the same
        answer, except for the expiry, which depends on the time. A client sends its access token
        with every request for up to ACCESS_TOKEN_LIFETIME, and PyJWT's decode was a fifth of a
        POST's instructions (BENCHMARKS.md, "Profile"), so an accepted token is kept, with its "exp",
        and accepted again without decoding while "exp" is still ahead (with simplejwt's LEEWAY, as
        PyJWT checks it).
        Only accepted tokens are kept, keyed by their exact bytes: a token altered in any byte is a
        miss and goes through simplejwt (whose key is fixed for the process's life: its token backend
        is built once, at import). Once expired, a token is dropped and simplejwt refuses it with its
        own error. The user is still read on every request (get_user). Requests that send the same
        token share the returned token (request.auth): treat it as read-only.
        """
        accepted = _accepted_tokens.get(raw_token)
        if accepted is not None:
            token, expires = accepted
            if expires > time.time() - _leeway_seconds(token):
                return token
            _accepted_tokens.pop(raw_token, None)
        token = super().get_validated_token(raw_token)
        # A blacklisting token class (a sliding token) asks the database each time: never kept.
        if not isinstance(token, BlacklistMixin):
            if len(_accepted_tokens) >= ACCEPTED_TOKENS_KEPT:
                _forget_expired()
            _accepted_tokens[raw_token] = (token, token["exp"])  # present and numeric: simplejwt checked it
        return token

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


# Accepted access tokens, per worker: raw token -> (token, its "exp" in epoch seconds). When full,
# the expired ones are dropped, and all of them if none had expired.
ACCEPTED_TOKENS_KEPT = 1024
_accepted_tokens = {}


def _leeway_seconds(token):
    return token.get_token_backend().get_leeway().total_seconds()


def _forget_expired():
    now = time.time()
    for key, (token, expires) in list(_accepted_tokens.items()):  # a copy: other threads add meanwhile
        if expires <= now - _leeway_seconds(token):
            _accepted_tokens.pop(key, None)
    if len(_accepted_tokens) >= ACCEPTED_TOKENS_KEPT:
        _accepted_tokens.clear()

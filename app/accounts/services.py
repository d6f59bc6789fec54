"""Account use cases."""

from contextlib import contextmanager

from django.contrib.auth import authenticate
from django.contrib.auth.models import update_last_login
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from rest_framework.exceptions import Throttled
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken, TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.tokens import RefreshToken

from core import ratelimit

from .models import User, normalize_email

DUPLICATE_EMAIL = "An account with this email address already exists."


def register_user(*, email, password, name):
    """Create an account, or raise ValidationError with every problem found, per field."""
    email = normalize_email(email)
    name = name.strip()
    errors = {}
    if User.objects.filter(email=email).exists():
        errors["email"] = [DUPLICATE_EMAIL]
    try:
        # The validators compare the password with the email and name, so give them the user.
        validate_password(password, user=User(email=email, name=name))
    except ValidationError as exc:
        errors["password"] = exc.messages
    if errors:
        raise ValidationError(errors)

    try:
        with transaction.atomic():
            return User.objects.create_user(email=email, password=password, name=name)
    except IntegrityError:
        # Two registrations for one address at the same moment: the unique index picked one.
        raise ValidationError({"email": [DUPLICATE_EMAIL]}) from None


# --- sessions: a login gives an access token (15 minutes) and a refresh token (7 days) -------------

NO_ACTIVE_ACCOUNT = "No active account found with the given credentials"


@contextmanager
def login_attempt(*, email, client):
    """Count a login attempt as a failure unless the block succeeds.

    Failures count against the client address and the account (existing or not, so the answer never
    tells which); while either is over its rate, the attempt is refused (Throttled) before any
    password is checked, the right one included. Refused and successful attempts are not counted.
    """
    # Scopes of REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"].
    counted = [("login_failures_per_address", client), ("login_failures_per_account", normalize_email(email))]
    counts = [ratelimit.hit(scope, ident) for scope, ident in counted]
    exceeded = [count for count in counts if count.exceeded]
    if exceeded:
        _refund(counted)
        raise Throttled(wait=max(count.retry_after for count in exceeded))
    yield
    _refund(counted)


def _refund(counted):
    for scope, ident in counted:
        ratelimit.refund(scope, ident)


def log_in(*, email, password, client, request=None):
    """A new session for an active account: {"access", "refresh"}; AuthenticationFailed otherwise."""
    with login_attempt(email=email, client=client):
        user = authenticate(request, email=email, password=password)  # None for inactive accounts too
        if user is None:
            raise AuthenticationFailed(NO_ACTIVE_ACCOUNT, code="no_active_account")
    update_last_login(None, user)
    return _tokens(RefreshToken.for_user(user))


def rotate_refresh_token(raw):
    """Spend a refresh token: a new access and refresh token, the old refresh token blacklisted.

    InvalidToken for a token that is not a valid, unexpired, unspent refresh token; AuthenticationFailed
    when its account has been deactivated or deleted (simplejwt's serializer answers 500 for a deleted
    one: jazzband/djangorestframework-simplejwt#860).
    """
    refresh = _read(RefreshToken, raw)  # signature, expiry, type, and not blacklisted
    user = User.objects.filter(pk=refresh.payload.get(jwt_settings.USER_ID_CLAIM)).first()
    if user is None or not user.is_active:
        raise AuthenticationFailed("No active account found for the given token.", code="no_active_account")
    with transaction.atomic():
        # Spent exactly once: blacklisting is a get-or-create on a unique column, so of two concurrent
        # requests with one token only one creates the entry (simplejwt's serializer lets both win).
        _, spent_now = refresh.blacklist()
        if not spent_now:
            raise InvalidToken("Token is blacklisted")
        return _tokens(RefreshToken.for_user(user))


def log_out(raw):
    """Revoke a refresh token (blacklist it). Revoking a revoked token again is not an error: a
    client may retry a logout whose answer it did not get. InvalidToken for anything else invalid."""
    _read(_RevocableRefreshToken, raw).blacklist()


def _read(token_class, raw):
    try:
        return token_class(raw)
    except TokenError as exc:  # as simplejwt's views answer it: 401 token_not_valid
        raise InvalidToken(exc.args[0]) from exc


class _RevocableRefreshToken(RefreshToken):
    def check_blacklist(self):
        pass  # already revoked is fine: revoking is idempotent


def _tokens(refresh):
    return {"access": str(refresh.access_token), "refresh": str(refresh)}

from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from core import ratelimit
from core.serializers import ErrorSerializer
from core.throttling import ScopedRateThrottle

from . import services
from .serializers import (
    LoginSerializer,
    RefreshTokenSerializer,
    RegisterSerializer,
    TokenPairSerializer,
    UserSerializer,
)


class PublicView(APIView):
    """Endpoints called without an access token."""

    authentication_classes = []
    permission_classes = [AllowAny]

    def get_authenticate_header(self, request):
        # Without one DRF turns a 401 into a 403; a wrong password or token is a 401, as with a token.
        return 'Bearer realm="api"'


class RegisterView(PublicView):
    """Create an account: email (its trimmed, lower-cased form is the login), password, name."""

    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "register"

    @extend_schema(request=RegisterSerializer, responses={201: UserSerializer})
    def post(self, request):
        serializer = RegisterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.register_user(**serializer.validated_data)
        # The account's own URL in this API (with the new account's token).
        location = request.build_absolute_uri(reverse("me"))
        return Response(UserSerializer(user).data, status=status.HTTP_201_CREATED, headers={"Location": location})


class LoginView(PublicView):
    """email + password -> {"access", "refresh"}. Failed logins are limited per client address and per
    account (429 with Retry-After, whether or not the account exists); successful ones are not."""

    @extend_schema(
        request=LoginSerializer, responses={200: TokenPairSerializer, 401: ErrorSerializer, 429: ErrorSerializer}
    )
    def post(self, request):
        serializer = LoginSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        client = ratelimit.client_address(request)
        return Response(services.log_in(**serializer.validated_data, client=client, request=request))


class TokenView(PublicView):
    """The refresh token's endpoints. A refresh token cannot be guessed, and every client refreshes
    every few minutes (many behind one NAT address), so their limit is looser than the password one."""

    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "tokens"

    def refresh_token(self, request):
        serializer = RefreshTokenSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data["refresh"]


class RefreshView(TokenView):
    """refresh -> a new {"access", "refresh"}; the refresh token sent is spent (401 if used again)."""

    @extend_schema(request=RefreshTokenSerializer, responses={200: TokenPairSerializer, 401: ErrorSerializer})
    def post(self, request):
        return Response(services.rotate_refresh_token(self.refresh_token(request)))


class LogoutView(TokenView):
    """Revoke a refresh token: 204, also when it was revoked already. The access token stays valid
    until it expires (at most 15 minutes): clients discard it."""

    @extend_schema(request=RefreshTokenSerializer, responses={204: None, 401: ErrorSerializer})
    def post(self, request):
        services.log_out(self.refresh_token(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(APIView):
    """The account the access token belongs to."""

    @extend_schema(responses={200: UserSerializer})
    def get(self, request):
        return Response(UserSerializer(request.user).data)

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView
from rest_framework_simplejwt.serializers import TokenObtainPairSerializer, TokenRefreshSerializer
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView

from core.serializers import ErrorSerializer

from . import services
from .serializers import RegisterSerializer, UserSerializer


class AuthThrottled:
    """Per-client limit on the endpoints that take a password: login and registration."""

    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth"


class RegisterView(AuthThrottled, APIView):
    """Create an account: email (its trimmed, lower-cased form is the login), password, name."""

    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(request=RegisterSerializer, responses={201: UserSerializer})
    def post(self, request):
        serializer = RegisterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.register_user(**serializer.validated_data)
        return Response(UserSerializer(user).data, status=status.HTTP_201_CREATED)


@extend_schema_view(post=extend_schema(responses={200: TokenObtainPairSerializer, 401: ErrorSerializer}))
class LoginView(AuthThrottled, TokenObtainPairView):
    """email + password -> {"access", "refresh"}."""


@extend_schema_view(post=extend_schema(responses={200: TokenRefreshSerializer, 401: ErrorSerializer}))
class RefreshView(TokenRefreshView):
    """refresh -> {"access"}. A refresh token cannot be guessed, and every client refreshes every
    few minutes (many behind one NAT address), so its limit is looser than the password one."""

    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "token_refresh"


class MeView(APIView):
    """The account the access token belongs to."""

    @extend_schema(responses={200: UserSerializer})
    def get(self, request):
        return Response(UserSerializer(request.user).data)

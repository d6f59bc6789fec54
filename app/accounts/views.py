from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView

from . import services
from .serializers import RegisterSerializer, UserSerializer


class AuthThrottled:
    """Per-client limit on the endpoints that take a password: login and registration."""

    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth"


class RegisterView(AuthThrottled, APIView):
    authentication_classes = []
    permission_classes = [AllowAny]

    def post(self, request):
        serializer = RegisterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.register_user(**serializer.validated_data)
        return Response(UserSerializer(user).data, status=status.HTTP_201_CREATED)


class LoginView(AuthThrottled, TokenObtainPairView):
    """email + password -> {"access", "refresh"}."""


class RefreshView(TokenRefreshView):
    """refresh -> {"access"}. A refresh token cannot be guessed, and every client refreshes every
    few minutes (many behind one NAT address), so its limit is looser than the password one."""

    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "token_refresh"


class MeView(APIView):
    def get(self, request):
        return Response(UserSerializer(request.user).data)

from rest_framework import serializers

from core.serializers import Serializer


class RegisterSerializer(Serializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(write_only=True, max_length=128, trim_whitespace=False)
    name = serializers.CharField(max_length=150)


class UserSerializer(Serializer):
    id = serializers.IntegerField(read_only=True)
    email = serializers.EmailField(read_only=True)
    name = serializers.CharField(read_only=True)


class LoginSerializer(Serializer):
    # Not an EmailField: text that is no address is simply a login that fails, like a wrong password.
    email = serializers.CharField(max_length=254)
    password = serializers.CharField(write_only=True, max_length=128, trim_whitespace=False)


class TokenPairSerializer(Serializer):
    access = serializers.CharField(read_only=True, help_text="Bearer token for the API; 15 minutes.")
    refresh = serializers.CharField(
        read_only=True, help_text="For POST /api/v1/auth/refresh/ (once) and /logout/; 7 days."
    )


class RefreshTokenSerializer(Serializer):
    refresh = serializers.CharField()

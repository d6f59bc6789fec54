from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import ValidationError
from rest_framework.exceptions import Throttled

from core import ratelimit

from . import services
from .models import User


class AdminLoginForm(AdminAuthenticationForm):
    """The admin's login (when DJANGO_ADMIN_ENABLED serves it), under the API's failed-login limits."""

    def clean(self):
        client = ratelimit.client_address(self.request)
        try:
            with services.login_attempt(email=self.cleaned_data.get("username") or "", client=client):
                return super().clean()
        except Throttled as exc:
            message = f"Too many failed logins: try again in {exc.wait} seconds."
            raise ValidationError(message, code="throttled") from None


admin.site.login_form = AdminLoginForm


class UserCreationForm(auth_forms.UserCreationForm):
    class Meta:
        model = User
        fields = ["email", "name"]


class UserChangeForm(auth_forms.UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    ordering = ["email"]
    list_display = ["email", "name", "is_active", "is_staff", "date_joined"]
    list_filter = ["is_active", "is_staff"]
    search_fields = ["email", "name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Profile", {"fields": ["name"]}),
        ("Permissions", {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "name", "password1", "password2"]})]

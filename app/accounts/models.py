"""Users log in with their email address; there is no username."""

import unicodedata

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.utils import timezone


def normalize_email(email):
    """The stored and looked-up form of an address: trimmed and lower-cased as a whole.

    Mail providers treat the local part case-insensitively in practice, and people type their
    address differently from one day to the next; one account per mailbox is what users expect.
    """
    return unicodedata.normalize("NFKC", email).strip().lower()


class UserManager(BaseUserManager):
    use_in_migrations = True

    def get_by_natural_key(self, email):
        # Used by authenticate(): "Test@Example.com" logs into the account "test@example.com".
        return self.get(email=normalize_email(email))

    def create_user(self, email, password=None, name="", **extra_fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=normalize_email(email), name=name, **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email, password=None, name="", **extra_fields):
        extra_fields.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, name, **extra_fields)


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField("email address", max_length=254, unique=True)
    name = models.CharField(max_length=150)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["name"]

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return self.email

    @classmethod
    def normalize_username(cls, username):
        # Called by AbstractBaseUser.clean(), i.e. by every ModelForm, including the admin's.
        return normalize_email(username)

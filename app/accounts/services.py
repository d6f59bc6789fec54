"""Account use cases."""

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

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

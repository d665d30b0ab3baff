"""Create the local editor login once and print its password once (make run calls this)."""

import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from foia.models import Role


class Command(BaseCommand):
    help = "Create a local login (username 'editor') if none exists, printing its password once."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="editor")

    def handle(self, *args, username, **options):
        User = get_user_model()
        if User.objects.filter(username=username).exists():
            self.stdout.write(
                f"Login '{username}' already exists (its password was printed when it was made; "
                f"lost it? .venv/bin/python manage.py changepassword {username})."
            )
            return
        password = secrets.token_urlsafe(12)
        User.objects.create_user(
            username=username, password=password, role=Role.ADMIN, is_staff=True, is_superuser=True
        )
        self.stdout.write(self.style.SUCCESS(f"Created login  username: {username}  password: {password}"))
        self.stdout.write(
            "This password is shown only now. Change it in the admin, or run "
            f"manage.py changepassword {username}."
        )

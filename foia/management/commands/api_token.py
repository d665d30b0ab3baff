"""Create (or show, or replace) a person's API token: manage.py api_token USER [--reset]."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from rest_framework.authtoken.models import Token


class Command(BaseCommand):
    help = "Print USER's API token, creating it if needed. The token acts with that person's role."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--reset", action="store_true", help="Revoke the old token and issue a new one.")

    def handle(self, *args, username, reset, **options):
        try:
            user = get_user_model().objects.get(username=username)
        except get_user_model().DoesNotExist:
            raise CommandError(f'No user "{username}". Create them first.') from None
        if not user.is_active:
            raise CommandError(f'User "{username}" is inactive; a token would not work.')
        if reset:
            Token.objects.filter(user=user).delete()
        token, created = Token.objects.get_or_create(user=user)
        self.stderr.write(
            f"{'New' if created else 'Existing'} token for {username} ({user.get_role_display()}):"
        )
        self.stdout.write(token.key)

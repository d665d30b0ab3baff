"""Failed-login rate limiting: after N failures for one username from one address, refuse for a while.

Counters live in the "ratelimit" cache (foia/settings.py): Redis when REDIS_URL is set, otherwise a file
cache under var/, so every gunicorn worker process on the machine shares the same counts (the default
in-memory cache is per process, and N processes would allow N times the attempts). The check sits in the
authentication backend, so the Django admin's login form is limited too; the login page adds a clear message.
"""

import hashlib

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.views import LoginView
from django.core.cache import caches
from django.core.exceptions import PermissionDenied


def _cache():
    return caches["ratelimit"]


def max_failures() -> int:
    return getattr(settings, "FOIA_LOGIN_MAX_FAILURES", 5)


def window_seconds() -> int:
    return getattr(settings, "FOIA_LOGIN_WINDOW_SECONDS", 15 * 60)


def client_ip(request) -> str:
    """The peer address (behind a proxy, REMOTE_ADDR is set by the proxy-aware server config)."""
    return (request.META.get("REMOTE_ADDR") or "unknown") if request is not None else "unknown"


def _key(username: str, ip: str) -> str:
    digest = hashlib.sha256(f"{username.strip().lower()}\n{ip}".encode()).hexdigest()[:32]
    return f"login-failures:{digest}"


def login_failures(*, username: str, ip: str) -> int:
    return _cache().get(_key(username, ip), 0)


def login_blocked(*, username: str, ip: str) -> bool:
    """True when this username from this address has failed too often within the window."""
    return login_failures(username=username, ip=ip) >= max_failures()


def login_failure_record(*, username: str, ip: str) -> int:
    """Count one failure; the window starts at the first failure and is not extended by later ones."""
    cache, key = _cache(), _key(username, ip)
    cache.add(key, 0, timeout=window_seconds())
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window_seconds())
        return 1


def login_failures_reset(*, username: str, ip: str) -> None:
    _cache().delete(_key(username, ip))


class RateLimitedModelBackend(ModelBackend):
    """Django's ModelBackend, refusing blocked username+address pairs and counting failures."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(self._username_field(), "")
        ip = client_ip(request)
        if login_blocked(username=username or "", ip=ip):
            raise PermissionDenied("Too many failed logins.")  # stops every backend, not only this one
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None and password is not None:
            login_failure_record(username=username or "", ip=ip)
        elif user is not None:
            login_failures_reset(username=username or "", ip=ip)
        return user

    @staticmethod
    def _username_field() -> str:
        from django.contrib.auth import get_user_model

        return get_user_model().USERNAME_FIELD


class RateLimitedLoginView(LoginView):
    """The login page, saying plainly when attempts are blocked (HTTP 429) instead of "wrong password"."""

    def post(self, request, *args, **kwargs):
        username = request.POST.get("username", "")
        if login_blocked(username=username, ip=client_ip(request)):
            minutes = max(window_seconds() // 60, 1)
            messages.error(
                request,
                f"Too many failed logins for “{username}” from your address. For your account's safety, "
                f"logging in is paused: try again in up to {minutes} minutes, or ask an admin to reset "
                "your password.",
            )
            form = self.get_form_class()(request)
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().post(request, *args, **kwargs)

"""The project's foundations: settings fail loudly, login is required, production passes check --deploy."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

ROOT = Path(__file__).resolve().parent.parent


def run_manage(*args, env_overrides):
    dropped = {
        "DEBUG",
        "DJANGO_SETTINGS_MODULE",
        "SECURE_SSL_REDIRECT",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "DJANGO_ALLOW_ASYNC_UNSAFE",  # set for the browser tests; check --deploy rightly warns about it
    }
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_production_configuration_passes_check_deploy():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env_overrides={
            "SECRET_KEY": "x" * 20 + "a-long-random-production-secret-key-1234567890",
            "ALLOWED_HOSTS": "foia.newsroom.example",
            "DEBUG": "false",
        },
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_missing_secret_key_fails_loudly_in_production():
    result = run_manage("check", env_overrides={"SECRET_KEY": "", "DEBUG": "false"})
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [("DEBUG", "ture", "is not a boolean"), ("FOIA_MAX_UPLOAD_BYTES", "lots", "is not a whole number")],
)
def test_bad_setting_values_are_refused_with_their_name(name, value, message):
    result = run_manage("check", env_overrides={"SECRET_KEY": "k" * 50, name: value})
    assert result.returncode != 0
    assert f"{name}=" in result.stderr and message in result.stderr


def test_debug_is_off_unless_set():
    from django.conf import settings

    assert settings.DEBUG is False


@pytest.mark.django_db
def test_anonymous_visitor_is_sent_to_login(client):
    response = client.get(reverse("campaign-list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.django_db
def test_login_page_is_reachable_without_login(client):
    assert client.get(reverse("login")).status_code == 200


def test_logged_in_person_sees_navigation(alice_client):
    page = alice_client.get(reverse("home")).content.decode()
    for label in ("Campaigns", "Agencies", "Requests", "Documents", "Search"):
        assert f">{label}</a>" in page

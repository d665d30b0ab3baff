"""The cast and shared fixtures.

Alice and Bob are reporters (Alice owns the requests she files), Erin is an editor, Victor a viewer who must
never change anything, and Ada the newsroom's admin.
"""

import pytest

from foia.models import Role

from .factories import UserFactory


@pytest.fixture
def alice(db):
    return UserFactory(username="alice", role=Role.REPORTER, first_name="Alice")


@pytest.fixture
def bob(db):
    return UserFactory(username="bob", role=Role.REPORTER, first_name="Bob")


@pytest.fixture
def erin(db):
    return UserFactory(username="erin", role=Role.EDITOR, first_name="Erin", is_staff=True)


@pytest.fixture
def victor(db):
    return UserFactory(username="victor", role=Role.VIEWER, first_name="Victor")


@pytest.fixture
def ada(db):
    return UserFactory(username="ada", role=Role.ADMIN, is_staff=True, is_superuser=True)


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


@pytest.fixture
def erin_client(client, erin):
    client.force_login(erin)
    return client


@pytest.fixture
def victor_client(client, victor):
    client.force_login(victor)
    return client


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Every test stores files under its own temporary folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EMAIL_FILE_PATH = str(tmp_path / "mail")

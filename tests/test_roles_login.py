"""Failed logins are rate-limited per username and address, with a clear message; staff-only admin."""

import pytest

from foia import ratelimit

PASSWORD = "correct horse battery staple"  # tests/factories.py UserFactory


@pytest.fixture(autouse=True)
def _fresh_counters():
    """Only this file's keys are removed (the cache may be a shared Redis database)."""
    pairs = [("alice", "127.0.0.1"), ("alice", "10.9.9.9"), ("bob", "127.0.0.1")]
    for username, ip in pairs:
        ratelimit.login_failures_reset(username=username, ip=ip)
    yield
    for username, ip in pairs:
        ratelimit.login_failures_reset(username=username, ip=ip)


def fail_login(client, username="alice", ip="127.0.0.1"):
    return client.post("/accounts/login/", {"username": username, "password": "wrong"}, REMOTE_ADDR=ip)


@pytest.mark.django_db
def test_the_login_page_is_reachable_anonymously(client):
    assert client.get("/accounts/login/").status_code == 200


@pytest.mark.django_db
def test_a_right_password_logs_in(client, alice):
    response = client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302
    assert response.url == "/"


@pytest.mark.django_db
def test_five_failures_block_even_the_right_password_with_a_clear_message(client, alice):
    for _ in range(5):
        assert fail_login(client).status_code == 200
    response = client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 429
    assert "Too many failed logins" in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_four_failures_do_not_block(client, alice):
    for _ in range(4):
        fail_login(client)
    response = client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302


@pytest.mark.django_db
def test_the_block_is_per_username_and_address(client, alice, bob):
    for _ in range(5):
        fail_login(client, "alice", "127.0.0.1")
    other_user = client.post("/accounts/login/", {"username": "bob", "password": PASSWORD})
    client.logout()
    other_address = client.post(
        "/accounts/login/", {"username": "alice", "password": PASSWORD}, REMOTE_ADDR="10.9.9.9"
    )
    assert other_user.status_code == 302
    assert other_address.status_code == 302


@pytest.mark.django_db
def test_username_case_does_not_dodge_the_limit(client, alice):
    for name in ["alice", "ALICE", "Alice", "aLiCe", "alice "]:
        fail_login(client, name)
    response = client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 429


@pytest.mark.django_db
def test_the_admin_login_is_limited_too(client, erin):
    for _ in range(5):
        ratelimit.login_failure_record(username="erin", ip="127.0.0.1")
    response = client.post("/admin/login/", {"username": "erin", "password": PASSWORD})
    assert "_auth_user_id" not in client.session
    assert response.status_code == 200
    ratelimit.login_failures_reset(username="erin", ip="127.0.0.1")


@pytest.mark.django_db
def test_the_window_expires(client, alice, settings):
    for _ in range(5):
        fail_login(client)
    assert ratelimit.login_blocked(username="alice", ip="127.0.0.1")
    # Expiry is the cache's job; deleting the key is what expiry does.
    ratelimit.login_failures_reset(username="alice", ip="127.0.0.1")
    assert client.post("/accounts/login/", {"username": "alice", "password": PASSWORD}).status_code == 302


@pytest.mark.django_db
@pytest.mark.parametrize(("who", "status"), [("victor", 302), ("alice", 302), ("erin", 200), ("ada", 200)])
def test_django_admin_is_for_staff_only(client, request, who, status):
    client.force_login(request.getfixturevalue(who))
    response = client.get("/admin/")
    assert response.status_code == status

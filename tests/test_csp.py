"""Every HTML page carries a Content-Security-Policy that allows this site's own scripts only, and no page
holds an inline script or an on* handler attribute (they would be refused by the browser)."""

from html.parser import HTMLParser

import pytest
from django.urls import reverse

from .test_roles_matrix import NAMES, ROUTES, url_for, world  # noqa: F401  (world is a fixture)

# Pages whose <pk> the matrix cannot fill for a GET, and routes that are not pages.
NOT_PAGES = {"logout", "inbound-email", "api-schema"}


class InlineScripts(HTMLParser):
    """Collects inline <script> bodies and on* attributes."""

    def __init__(self):
        super().__init__()
        self.inline_scripts: list[str] = []
        self.handlers: list[str] = []
        self._in_inline = False

    def handle_starttag(self, tag, attrs):
        names = {name.lower(): value for name, value in attrs}
        self.handlers += [f"<{tag} {name}>" for name in names if name.startswith("on")]
        self._in_inline = tag == "script" and "src" not in names and "nonce" not in names
        if tag == "script" and names.get("type") in ("application/json", "application/ld+json"):
            self._in_inline = False  # data, not code

    def handle_data(self, data):
        if self._in_inline and data.strip():
            self.inline_scripts.append(data.strip()[:80])

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_inline = False


def directives(header: str) -> dict[str, list[str]]:
    parts = (part.strip().split() for part in header.split(";") if part.strip())
    return {part[0]: part[1:] for part in parts}


def html_pages(client, world) -> list[tuple[str, object]]:  # noqa: F811
    pages = []
    for name in NAMES:
        if name in NOT_PAGES or ROUTES[name][0].startswith("api/") and name not in ("api-docs", "api-redoc"):
            continue
        try:
            url = url_for(name, world)
        except AssertionError:
            continue
        response = client.get(url)
        if response.status_code == 200 and response.get("Content-Type", "").startswith("text/html"):
            pages.append((name, response))
    return pages


def test_every_html_page_has_a_self_only_policy_and_no_inline_script(client, world, erin):  # noqa: F811
    client.force_login(erin)
    pages = html_pages(client, world)
    assert len(pages) > 20  # the walk really visited the application's pages
    for name, response in pages:
        policy = directives(response.get("Content-Security-Policy", ""))
        assert policy.get("script-src") == ["'self'"], (name, policy)
        assert policy.get("default-src") == ["'self'"] and policy.get("object-src") == ["'none'"], name
        assert "'unsafe-inline'" not in policy.get("style-src", []) or name in ("api-docs", "api-redoc"), name
        parser = InlineScripts()
        parser.feed(response.content.decode())
        assert parser.inline_scripts == [], (name, parser.inline_scripts)
        assert parser.handlers == [], (name, parser.handlers)


def test_the_login_page_has_the_policy_too(client, db):
    response = client.get(reverse("login"))
    assert "script-src 'self'" in response["Content-Security-Policy"]


def test_downloads_keep_their_own_sandbox_policy(client, world, erin):  # noqa: F811
    client.force_login(erin)
    response = client.get(reverse("document-download", args=[world["document"].pk]))
    assert response["Content-Security-Policy"] == "sandbox; default-src 'none'"


@pytest.mark.parametrize("path", ["foia/app.js", "foia/vendor/htmx.min.js"])
def test_the_page_scripts_are_served_from_our_own_static_files(client, db, path):
    from django.contrib.staticfiles import finders

    assert finders.find(path)

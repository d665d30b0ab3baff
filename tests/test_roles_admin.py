"""Django admin permissions follow the role: editors edit law data and records, not people; admins all."""

import pytest

from .factories import LawFactory


@pytest.mark.django_db
def test_editor_may_change_law_data_but_not_people(erin):
    assert erin.has_perm("foia.change_law")
    assert erin.has_perm("foia.add_closedday")
    assert erin.has_perm("foia.delete_agency")
    assert not erin.has_perm("foia.change_user")
    assert not erin.has_perm("authtoken.add_token")


@pytest.mark.django_db
def test_reporters_and_viewers_get_no_admin_permissions(alice, victor):
    assert alice.get_all_permissions() == set()
    assert victor.get_all_permissions() == set()


@pytest.mark.django_db
def test_an_admin_role_may_manage_people(ada):
    ada.is_superuser = False
    ada.save()
    assert ada.has_perm("foia.change_user")


@pytest.mark.django_db
def test_editor_edits_a_law_in_the_admin(client, erin):
    law = LawFactory(response_days=5)
    client.force_login(erin)
    page = client.get(f"/admin/foia/law/{law.pk}/change/")
    assert page.status_code == 200
    assert client.get("/admin/foia/user/").status_code == 403


@pytest.mark.django_db
def test_an_inactive_editor_has_no_permissions(erin):
    erin.is_active = False
    erin.save()
    assert not erin.has_perm("foia.change_law")

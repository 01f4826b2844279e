"""Nothing changes compliance state unaudited through the admin site: every registration is read-only or saves
through an audited service. Driven through the admin views by a superuser who passed TOTP."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib import admin
from django.contrib.messages import get_messages
from django.test import Client, RequestFactory
from django.urls import reverse

from accounts.models import Membership, RoleAssignment, User
from accounts.tests.factories import StaffUserFactory
from core.admin import AuditedModelAdmin, ReadOnlyModelAdmin
from core.models import AuditEvent
from screening.models import Check, Outcome

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser() -> Any:
    """A superuser with TOTP set up (StaffUserFactory activates it), as the admin site demands."""
    return StaffUserFactory(email="sam.super@claystack.example", is_staff=True, is_superuser=True)


@pytest.fixture
def admin_client(client: Client, superuser: Any) -> Client:
    client.force_login(superuser)
    assert client.get("/admin/").status_code == 200
    return client


def _writable(model_admin: admin.ModelAdmin[Any], request: Any) -> list[str]:
    can = []
    for name, allowed in (
        ("add", model_admin.has_add_permission(request)),
        ("change", model_admin.has_change_permission(request, None)),
        ("delete", model_admin.has_delete_permission(request, None)),
    ):
        if allowed:
            can.append(name)
    for inline in model_admin.get_inline_instances(request, None):
        if inline.has_add_permission(request, None) or inline.has_change_permission(request, None):
            can.append(f"inline {type(inline).__name__}")
    return can


def _messages(response: Any) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_every_admin_registration_is_read_only_or_saves_through_an_audited_service(superuser: Any) -> None:
    request = RequestFactory().get("/admin/")
    request.user = superuser
    problems = []
    for model, model_admin in admin.site._registry.items():
        can = _writable(model_admin, request)
        if can and not isinstance(model_admin, AuditedModelAdmin):
            problems.append(f"{model._meta.label} ({type(model_admin).__name__}) can {', '.join(can)} unaudited")
        if isinstance(model_admin, ReadOnlyModelAdmin):
            assert model_admin.readonly_rule, f"{model._meta.label} refuses without naming its rule"
    assert not problems, problems
    # The one editable registration, and it saves through accounts.services.
    assert [m._meta.label for m, a in admin.site._registry.items() if isinstance(a, AuditedModelAdmin)] == [
        "accounts.User"
    ]


def test_every_read_only_registration_refuses_a_posted_add_with_its_rule_and_saves_nothing(
    admin_client: Client,
) -> None:
    for model, model_admin in admin.site._registry.items():
        if not isinstance(model_admin, ReadOnlyModelAdmin):
            continue
        meta = model._meta
        assert admin_client.get(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")).status_code == 200
        before = model._default_manager.count()
        response = admin_client.post(reverse(f"admin:{meta.app_label}_{meta.model_name}_add"), {"name": "forged"})
        assert response.status_code == 302, meta.label
        assert response["Location"] == reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
        assert _messages(response)[-1] == (
            f"Not saved: {meta.verbose_name_plural} are read-only in the admin. {model_admin.readonly_rule}"
        )
        assert model._default_manager.count() == before, meta.label


def test_changing_a_screening_checks_outcome_in_the_admin_is_refused_and_nothing_is_saved(
    admin_client: Client,
) -> None:
    check = Check.objects.create(
        kind="name", provider="local", subject_ref="person:1", status="done", outcome=Outcome.POSSIBLE_MATCH
    )
    url = reverse("admin:screening_check_change", args=[check.pk])
    assert admin_client.get(url).status_code == 200  # superusers may look
    response = admin_client.post(url, {"outcome": Outcome.CLEAR, "status": check.status})
    assert response.status_code == 302 and response["Location"] == url
    assert (
        "checks are read-only in the admin. Screening results change only by screening again"
        in (_messages(response)[0])
    )
    check.refresh_from_db()
    assert check.outcome == Outcome.POSSIBLE_MATCH
    deleted = admin_client.post(reverse("admin:screening_check_delete", args=[check.pk]), {"post": "yes"})
    assert deleted.status_code == 302
    assert Check.objects.filter(pk=check.pk).exists()
    bulk = admin_client.post(
        reverse("admin:screening_check_changelist"), {"action": "delete_selected", "_selected_action": [check.pk]}
    )
    assert bulk.status_code == 302
    assert Check.objects.filter(pk=check.pk).exists()


def test_making_a_reviewer_an_owner_of_a_customers_organisation_in_the_admin_is_refused(
    admin_client: Client, alice: Any, reviewer: Any
) -> None:
    organisation = alice.organisations.get()
    membership = Membership.objects.get(user=alice)
    url = reverse("admin:accounts_organisation_change", args=[organisation.pk])
    response = admin_client.post(
        url,
        {
            "name": organisation.name,
            "kind": organisation.kind,
            "country": organisation.country,
            "memberships-TOTAL_FORMS": "2",
            "memberships-INITIAL_FORMS": "1",
            "memberships-0-id": membership.pk,
            "memberships-0-organisation": organisation.pk,
            "memberships-0-user": alice.pk,
            "memberships-0-role": "member",
            "memberships-1-organisation": organisation.pk,
            "memberships-1-user": reviewer.pk,
            "memberships-1-role": "owner",
        },
    )
    assert response.status_code == 302
    assert "a membership role is never changed here" in _messages(response)[0]
    assert list(Membership.objects.filter(organisation=organisation).values_list("user", "role")) == [
        (alice.pk, "owner")
    ]


def _user_form(user: User, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "email": user.email,
        "full_name": user.full_name,
        "is_active": "on" if user.is_active else "",
        "is_staff": "on" if user.is_staff else "",
        "is_superuser": "on" if user.is_superuser else "",
        "role_assignments-TOTAL_FORMS": "0",
        "role_assignments-INITIAL_FORMS": "0",
    }
    roles = list(RoleAssignment.objects.filter(user=user))
    data["role_assignments-TOTAL_FORMS"] = data["role_assignments-INITIAL_FORMS"] = str(len(roles))
    for i, assignment in enumerate(roles):
        data.update(
            {
                f"role_assignments-{i}-id": assignment.pk,
                f"role_assignments-{i}-user": user.pk,
                f"role_assignments-{i}-role": assignment.role,
            }
        )
    data.update(changes)
    return {k: v for k, v in data.items() if v != ""}


def test_deactivating_a_board_member_in_the_admin_is_audited(
    admin_client: Client, superuser: Any, make_staff: Any
) -> None:
    board = make_staff("board_member", email="bea.board@claystack.example")
    url = reverse("admin:accounts_user_change", args=[board.pk])
    response = admin_client.post(url, _user_form(board, is_active=""))
    assert response.status_code == 302, response.content[:2000]
    board.refresh_from_db()
    assert board.is_active is False
    event = AuditEvent.objects.get(action="user.deactivated")
    assert (event.actor, event.target_id) == (superuser, str(board.pk))
    assert (event.before, event.after, event.data) == ({"is_active": True}, {"is_active": False}, {"via": "admin"})


def test_granting_admin_access_and_renaming_in_the_admin_is_audited_without_the_name(
    admin_client: Client, reviewer: Any
) -> None:
    url = reverse("admin:accounts_user_change", args=[reviewer.pk])
    response = admin_client.post(url, _user_form(reviewer, is_staff="on", full_name="Rita R. Reviewer"))
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="user.admin_access_changed")
    assert event.after == {"is_staff": True, "full_name": "(changed)"}
    assert "Rita R." not in str(event.after)


def test_changing_a_staff_role_in_place_in_the_admin_revokes_and_grants_through_the_audited_services(
    admin_client: Client, reviewer: Any
) -> None:
    form = _user_form(reviewer)
    form["role_assignments-0-role"] = "approver"
    response = admin_client.post(reverse("admin:accounts_user_change", args=[reviewer.pk]), form)
    assert response.status_code == 302
    assert list(RoleAssignment.objects.filter(user=reviewer).values_list("role", flat=True)) == ["approver"]
    actions = list(AuditEvent.objects.filter(target_id=str(reviewer.pk)).order_by("seq").values_list("action", "data"))
    assert [a for a, _ in actions][-2:] == ["role.revoked", "role.granted"]


def test_an_admin_save_that_changes_nothing_writes_nothing(admin_client: Client, reviewer: Any) -> None:
    before = AuditEvent.objects.count()
    response = admin_client.post(reverse("admin:accounts_user_change", args=[reviewer.pk]), _user_form(reviewer))
    assert response.status_code == 302
    assert AuditEvent.objects.count() == before


def test_users_are_neither_added_nor_deleted_nor_given_a_password_in_the_admin(
    admin_client: Client, reviewer: Any
) -> None:
    assert admin_client.post(reverse("admin:accounts_user_add"), {"email": "x@claystack.example"}).status_code == 403
    assert (
        admin_client.post(reverse("admin:accounts_user_delete", args=[reviewer.pk]), {"post": "yes"}).status_code == 403
    )
    password = admin_client.post(
        f"/admin/accounts/user/{reviewer.pk}/password/",
        {"password1": "a-new-password-123", "password2": "a-new-password-123"},
    )
    assert password.status_code == 302
    assert "passwords are not set in the admin" in _messages(password)[0]
    reviewer.refresh_from_db()
    assert reviewer.check_password("a-new-password-123") is False
    assert User.objects.filter(pk=reviewer.pk).exists()

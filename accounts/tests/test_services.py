from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError

from accounts.models import Membership, RoleAssignment
from accounts.roles import StaffRole
from accounts.services import (
    organisation_create,
    organisation_member_add,
    staff_role_grant,
    staff_role_revoke,
    staff_user_create,
)
from accounts.tests.factories import UserFactory
from core.audit import audit_verify
from core.exceptions import ApplicationError
from core.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_creating_a_staff_user_grants_roles_and_audits_each_step() -> None:
    admin = UserFactory(is_superuser=True, is_staff=True)
    user, password = staff_user_create(
        email="New.Officer@ClayStack.example", full_name="New Officer", roles=["reviewer", "auditor"], by=admin
    )
    assert user.email == "new.officer@claystack.example"
    assert user.check_password(password)
    assert set(RoleAssignment.objects.filter(user=user).values_list("role", flat=True)) == {"reviewer", "auditor"}
    actions = list(AuditEvent.objects.filter(target_id=str(user.pk)).order_by("seq").values_list("action", flat=True))
    assert actions == ["user.staff_created", "role.granted", "role.granted"]
    assert audit_verify().ok


def test_a_staff_user_needs_a_known_role() -> None:
    with pytest.raises(ApplicationError, match="Unknown role superhero"):
        staff_user_create(email="x@claystack.example", full_name="X", roles=["superhero"], by=None)


def test_a_weak_initial_password_is_refused() -> None:
    with pytest.raises(ValidationError):
        staff_user_create(email="y@claystack.example", full_name="Y", roles=["reviewer"], by=None, password="123")


def test_an_applicant_cannot_be_given_a_staff_role(alice: Any) -> None:
    with pytest.raises(ApplicationError, match="cannot hold a staff role"):
        staff_role_grant(user=alice, role=StaffRole.REVIEWER, by=None)


def test_revoking_a_role_is_audited(reviewer: Any) -> None:
    staff_role_revoke(user=reviewer, role=StaffRole.REVIEWER, by=None)
    assert not reviewer.role_assignments.exists()
    assert AuditEvent.objects.filter(action="role.revoked", target_id=str(reviewer.pk)).exists()


def test_only_an_owner_can_add_a_colleague(alice: Any, bob: Any) -> None:
    newcomer = UserFactory()
    org = alice.organisations.get()
    with pytest.raises(ApplicationError, match="Only an owner"):
        organisation_member_add(organisation=org, user=newcomer, by=bob)
    membership = organisation_member_add(organisation=org, user=newcomer, by=alice)
    assert membership.role == Membership.Role.MEMBER
    assert AuditEvent.objects.filter(action="organisation.member_added", actor=alice).exists()


def test_creating_an_organisation_makes_the_creator_its_owner() -> None:
    user = UserFactory()
    org = organisation_create(name="  Beacon Trust  ", kind="institution", country="ch", owner=user)
    assert (org.name, org.country) == ("Beacon Trust", "CH")
    assert Membership.objects.get(organisation=org).role == Membership.Role.OWNER


def test_staff_cannot_create_an_applicant_organisation(reviewer: Any) -> None:
    with pytest.raises(ApplicationError, match="Staff accounts cannot belong"):
        organisation_create(name="Sneaky Ltd", kind="institution", owner=reviewer)

from __future__ import annotations

from typing import Any

import factory
from allauth.account.models import EmailAddress
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP

from accounts.models import Membership, Organisation, RoleAssignment, User

PASSWORD = "correct-horse-battery-staple-42"
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    full_name = factory.Faker("name")

    @factory.post_generation
    def password(self, create: bool, extracted: str | None, **kwargs: Any) -> None:
        self.set_password(extracted or PASSWORD)
        if create:
            self.save(update_fields=["password"])
            EmailAddress.objects.get_or_create(
                user=self, email=self.email, defaults={"verified": True, "primary": True}
            )


class OrganisationFactory(factory.django.DjangoModelFactory[Organisation]):
    class Meta:
        model = Organisation

    name = factory.Faker("company")
    kind = Organisation.Kind.INSTITUTION
    country = "GB"


class MembershipFactory(factory.django.DjangoModelFactory[Membership]):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    role = Membership.Role.MEMBER


class StaffUserFactory(UserFactory):
    """A staff user: `roles=[...]`, and a TOTP authenticator with a known secret unless `mfa=False`."""

    @factory.post_generation
    def roles(self, create: bool, extracted: list[str] | None, **kwargs: Any) -> None:
        for role in extracted or []:
            RoleAssignment.objects.create(user=self, role=role)

    @factory.post_generation
    def mfa(self, create: bool, extracted: bool | None, **kwargs: Any) -> None:
        if create and extracted is not False:
            TOTP.activate(self, TOTP_SECRET)
            RecoveryCodes.activate(self)

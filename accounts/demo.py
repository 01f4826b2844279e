"""Demo accounts for the run command. Only for DEBUG deployments: the passwords are printed."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP
from django.db import transaction

from accounts.models import Organisation, User
from accounts.roles import StaffRole
from accounts.services import organisation_create, staff_role_grant
from accounts.totp import current_totp_code  # noqa: F401  (re-exported: seed_demo and tests use it here)
from core.crypto import decrypt_str

DEMO_PASSWORD = "claystack-demo-2026"


@dataclass(frozen=True)
class DemoAccount:
    email: str
    full_name: str
    role: str | None  # None: an applicant
    totp_secret: str | None
    recovery_code: str | None


DEMO_STAFF = [
    ("reviewer@claystack.local", "Rita Reviewer", StaffRole.REVIEWER),
    ("approver@claystack.local", "Arjun Approver", StaffRole.APPROVER),
    ("approver2@claystack.local", "Amara Approver", StaffRole.APPROVER),
    ("whitelist-admin@claystack.local", "Wen Whitelist", StaffRole.WHITELIST_ADMIN),
    ("board@claystack.local", "Bola Board", StaffRole.BOARD_MEMBER),
    ("auditor@claystack.local", "Aude Auditor", StaffRole.AUDITOR),
]
DEMO_APPLICANTS = [
    ("alice@acme-capital.example", "Alice Applicant", "Acme Capital Ltd", Organisation.Kind.INSTITUTION, "GB"),
    ("bob@acme-capital.example", "Bob Colleague", None, None, None),
    ("olivia@nodeworks.example", "Olivia Operator", "NodeWorks GmbH", Organisation.Kind.OPERATOR_COMPANY, "DE"),
    ("sam@staker.example", "Sam Staker", None, None, None),
]


def _demo_secret(email: str) -> str:
    # Deterministic per e-mail so the printed secret stays valid across re-seeds of a dev database.
    return base64.b32encode(hashlib.sha256(f"claystack-demo:{email}".encode()).digest()[:20]).decode()


def _ensure_user(email: str, full_name: str) -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User(email=email, full_name=full_name)
        user.set_password(DEMO_PASSWORD)
        user.save()
    EmailAddress.objects.get_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
    return user


def _ensure_totp(user: User, email: str) -> tuple[str, str | None]:
    """The user's TOTP secret and one unused recovery code, setting both up on first use."""
    totp = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    if totp is None:
        TOTP.activate(user, _demo_secret(email))
        RecoveryCodes.activate(user)
        totp = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
    rc = Authenticator.objects.get(user=user, type=Authenticator.Type.RECOVERY_CODES)
    codes = RecoveryCodes(rc).get_unused_codes()
    return decrypt_str(totp.data["secret"]), codes[0] if codes else None


# The Django admin's operator (is_superuser): no compliance role, two-factor like every staff account.
DEMO_ADMIN = ("admin@claystack.local", "Ada Administrator")
ADMIN_ROLE_LABEL = "administrator"


@transaction.atomic
def seed_demo_accounts() -> list[DemoAccount]:
    accounts: list[DemoAccount] = []
    for email, name, role in DEMO_STAFF:
        user = _ensure_user(email, name)
        staff_role_grant(user=user, role=role, by=None)
        secret, recovery = _ensure_totp(user, email)
        accounts.append(DemoAccount(email, name, role, secret, recovery))
    email, name = DEMO_ADMIN
    admin = _ensure_user(email, name)
    if not (admin.is_staff and admin.is_superuser):
        admin.is_staff = admin.is_superuser = True
        admin.save(update_fields=["is_staff", "is_superuser"])
    secret, recovery = _ensure_totp(admin, email)
    accounts.append(DemoAccount(email, name, ADMIN_ROLE_LABEL, secret, recovery))
    orgs: dict[str, Organisation] = {}
    for email, name, org_name, kind, country in DEMO_APPLICANTS:
        user = _ensure_user(email, name)
        if org_name and kind and not user.memberships.exists():
            orgs[org_name] = organisation_create(name=org_name, kind=kind, country=country or "", owner=user)
        accounts.append(DemoAccount(email, name, None, None, None))
    acme = Organisation.objects.filter(name="Acme Capital Ltd").first()
    bob = User.objects.get(email="bob@acme-capital.example")
    if acme is not None and not bob.memberships.exists():
        from accounts.services import organisation_member_add

        owner = User.objects.get(email="alice@acme-capital.example")
        organisation_member_add(organisation=acme, user=bob, by=owner)
    return accounts

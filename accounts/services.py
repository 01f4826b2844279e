"""Writes for users, organisations, memberships and staff roles. Each is atomic and audited."""

from __future__ import annotations

import secrets
from collections.abc import Iterable

from allauth.account.models import EmailAddress
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accounts.models import Membership, Organisation, RoleAssignment, User
from accounts.roles import StaffRole
from core.audit import audit_label, audit_record
from core.countries import COUNTRY_CODES
from core.exceptions import ApplicationError
from core.identifiers import validate_lei
from core.names import InvalidName, name_clean


def user_signed_up_record(*, user: User) -> None:
    audit_record(actor=user, action="user.signed_up", target=user)


def _name(value: str, *, field: str) -> str:
    """Names are normalised once, at input (core.names); one with an invisible character is refused."""
    try:
        return name_clean(value)
    except InvalidName as exc:
        raise ApplicationError(f"{field}: this name {exc}", code="invisible_character", extra={"field": field}) from exc


@transaction.atomic
def staff_user_create(
    *,
    email: str,
    full_name: str,
    roles: Iterable[str],
    by: User | None,
    password: str | None = None,
) -> tuple[User, str]:
    """Create a staff account with its roles and a verified e-mail address.

    Returns the user and the initial password (generated when not given, to be passed on once and changed).
    The account cannot reach any staff page until its owner sets up TOTP at first login.
    """
    email = User.objects.normalize_email(email).lower()
    if User.objects.filter(email__iexact=email).exists():
        raise ApplicationError(f"A user with the e-mail address {email} already exists.", code="duplicate_email")
    role_list = sorted(set(roles))
    unknown = [r for r in role_list if r not in StaffRole.values]
    if unknown:
        raise ApplicationError(
            f"Unknown role {', '.join(unknown)}; choose from {', '.join(StaffRole.values)}.", code="unknown_role"
        )
    if not role_list:
        raise ApplicationError("A staff user needs at least one role.", code="no_role")
    initial_password = password or secrets.token_urlsafe(18)
    user = User(email=email, full_name=_name(full_name, field="full_name"))
    validate_password(initial_password, user)
    user.set_password(initial_password)
    user.save()
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    audit_record(actor=by, action="user.staff_created", target=user, after={"email": email, "roles": role_list})
    for role in role_list:
        staff_role_grant(user=user, role=role, by=by)
    return user, initial_password


@transaction.atomic
def staff_role_grant(*, user: User, role: str, by: User | None) -> RoleAssignment:
    if role not in StaffRole.values:
        raise ApplicationError(f"Unknown role {role}.", code="unknown_role")
    if user.memberships.exists():
        # Keeps the four-eyes rule simple to trust: nobody reviews while also being an applicant.
        raise ApplicationError(
            "A member of an applicant organisation cannot hold a staff role.", code="applicant_cannot_be_staff"
        )
    assignment, created = RoleAssignment.objects.get_or_create(user=user, role=role, defaults={"granted_by": by})
    if created:
        audit_record(actor=by, action="role.granted", target=user, after={"role": role})
    return assignment


@transaction.atomic
def staff_role_revoke(*, user: User, role: str, by: User | None) -> None:
    deleted, _ = RoleAssignment.objects.filter(user=user, role=role).delete()
    if deleted:
        audit_record(actor=by, action="role.revoked", target=user, before={"role": role})


def _field_error(field: str, message: str, code: str) -> ApplicationError:
    return ApplicationError(message, code=code, extra={"field": field})


@transaction.atomic
def organisation_create(*, name: str, kind: str, country: str = "", lei: str = "", owner: User) -> Organisation:
    """Create an organisation (an institution or a node-operator company) with `owner` as its first owner.

    Requires a name, a known kind, an ISO 3166-1 country code (or none) and a well-formed LEI (or none) that no
    other organisation has registered. Each refusal is an ApplicationError naming the field (extra["field"]).
    Writes the organisation and the owner's membership together, audited as organisation.created."""
    if owner.role_assignments.exists():
        raise ApplicationError("Staff accounts cannot belong to an applicant organisation.", code="staff_cannot_apply")
    name = _name(name, field="name")
    if not name:
        raise _field_error("name", "Give the organisation's registered legal name.", "name_required")
    if kind not in Organisation.Kind.values:
        raise _field_error("kind", f"Choose the kind of organisation: {', '.join(Organisation.Kind.values)}.", "kind")
    country = country.strip().upper()
    if country and country not in COUNTRY_CODES:
        raise _field_error(
            "country",
            f"“{country}” is not an ISO 3166-1 alpha-2 country code: choose the country from the list.",
            "country",
        )
    if lei:
        try:
            lei = validate_lei(lei)
        except ValidationError as exc:
            raise _field_error("lei", f"LEI: {exc.messages[0]}", "lei_invalid") from None
        # The unique constraint decides under concurrency; this check gives the message a person can act on.
        if Organisation.objects.filter(lei=lei).exists():
            raise _field_error(
                "lei",
                f"LEI: an organisation with the LEI {lei} is already registered. Ask its owner to invite you "
                "instead of registering it again.",
                "lei_taken",
            )
    try:
        with transaction.atomic():
            organisation = Organisation.objects.create(name=name, kind=kind, country=country, lei=lei)
    except IntegrityError:
        raise _field_error(
            "lei", f"LEI: an organisation with the LEI {lei} is already registered.", "lei_taken"
        ) from None
    Membership.objects.create(user=owner, organisation=organisation, role=Membership.Role.OWNER)
    audit_record(
        actor=owner,
        action="organisation.created",
        target=organisation,
        after={"name": organisation.name, "kind": kind, "country": organisation.country, "lei": lei},
    )
    return organisation


@transaction.atomic
def organisation_member_add(
    *, organisation: Organisation, user: User, role: str = Membership.Role.MEMBER, by: User
) -> Membership:
    """Add `user` to the organisation. Only an owner may add members."""
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    if not Membership.objects.filter(organisation=organisation, user=by, role=Membership.Role.OWNER).exists():
        raise ApplicationError("Only an owner of the organisation can add members.", code="not_owner")
    if user.role_assignments.exists():
        raise ApplicationError("Staff accounts cannot belong to an applicant organisation.", code="staff_cannot_apply")
    if Membership.objects.filter(organisation=organisation, user=user).exists():
        raise ApplicationError(f"{user.email} is already a member of {organisation.name}.", code="already_member")
    membership = Membership.objects.create(organisation=organisation, user=user, role=role)
    # The member by public id, never by e-mail: the trail outlives the account's personal data.
    audit_record(
        actor=by,
        action="organisation.member_added",
        target=organisation,
        after={"user": audit_label(user), "role": role},
    )
    return membership


# What a superuser may change on a user in the admin site; anything else there is read-only.
USER_ADMIN_FIELDS = ("email", "full_name", "is_active", "is_staff", "is_superuser")
# Personal data stays out of the append-only trail: recorded as changed, never by value.
_PERSONAL_FIELDS = {"email", "full_name"}


@transaction.atomic
def user_admin_update(*, user: User, changes: dict[str, object], by: User) -> User:
    """Apply a superuser's edit of a user from the admin site and audit it.

    `changes` maps fields of USER_ADMIN_FIELDS to their new values; unchanged values are ignored and nothing
    is recorded when nothing changed. Deactivation and reactivation are named as such (`user.deactivated`,
    `user.reactivated`), a change of admin access as `user.admin_access_changed`, anything else as
    `user.updated`; before and after hold the flags, and "(changed)" for the e-mail and name."""
    unknown = sorted(set(changes) - set(USER_ADMIN_FIELDS))
    if unknown:
        raise ApplicationError(f"{', '.join(unknown)} cannot be changed here.", code="field_not_editable")
    user = User.objects.select_for_update().get(pk=user.pk)
    before: dict[str, object] = {}
    after: dict[str, object] = {}
    for field, value in changes.items():
        if getattr(user, field) == value:
            continue
        if field not in _PERSONAL_FIELDS:
            before[field] = getattr(user, field)
        after[field] = "(changed)" if field in _PERSONAL_FIELDS else value
        setattr(user, field, value)
    if not after:
        return user
    user.save(update_fields=list(after))
    if "is_active" in after:
        action = "user.reactivated" if user.is_active else "user.deactivated"
    elif {"is_staff", "is_superuser"} & after.keys():
        action = "user.admin_access_changed"
    else:
        action = "user.updated"
    audit_record(actor=by, action=action, target=user, before=before, after=after, data={"via": "admin"})
    return user

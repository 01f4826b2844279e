"""Users are the one model the admin site edits, and only through `accounts.services` (audited): the access
flags, the name and the e-mail; staff roles through the role services. Organisations, memberships, groups,
e-mail addresses and second factors are read-only here (core.admin)."""

from __future__ import annotations

from typing import Any

from allauth.account.admin import EmailAddressAdmin as AllauthEmailAddressAdmin
from allauth.account.models import EmailAddress
from allauth.mfa.admin import AuthenticatorAdmin as AllauthAuthenticatorAdmin
from allauth.mfa.models import Authenticator
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from accounts.models import Membership, Organisation, RoleAssignment, User
from core.admin import AuditedModelAdmin, ReadOnlyInline, ReadOnlyModelAdmin


class RoleAssignmentInline(admin.TabularInline[RoleAssignment, User]):
    model = RoleAssignment
    fk_name = "user"
    extra = 0
    fields = ["role", "granted_by", "created_at"]
    readonly_fields = ["granted_by", "created_at"]


@admin.register(User)
class UserAdmin(AuditedModelAdmin, DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "is_active", "is_staff", "date_joined"]
    search_fields = ["email", "full_name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Person", {"fields": ("full_name",)}),
        ("Access", {"fields": ("is_active", "is_staff", "is_superuser")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    readonly_fields = ["last_login", "date_joined"]
    inlines = [RoleAssignmentInline]
    # Bulk actions would bypass the service.
    actions = None

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Staff accounts are created with `manage.py create_staff_user` (audited); applicants sign up.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Accounts are deactivated (audited) and anonymised by the retention job, never deleted.
        return False

    def save_audited(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        from accounts.services import USER_ADMIN_FIELDS, user_admin_update

        changes = {name: form.cleaned_data[name] for name in form.changed_data if name in USER_ADMIN_FIELDS}
        user_admin_update(user=obj, changes=changes, by=request.user)  # type: ignore[arg-type]
        obj.refresh_from_db()

    def save_formset(self, request, form, formset, change):  # type: ignore[no-untyped-def]
        # Role changes made in the admin still go through the audited services.
        from accounts.services import staff_role_grant, staff_role_revoke

        if formset.model is not RoleAssignment:
            return super().save_formset(request, form, formset, change)
        instances = formset.save(commit=False)
        for obj in formset.deleted_objects:
            staff_role_revoke(user=obj.user, role=obj.role, by=request.user)
        for obj, _fields in formset.changed_objects:
            # A role edited in place is the old role revoked and the new one granted.
            previous = RoleAssignment.objects.get(pk=obj.pk).role
            staff_role_revoke(user=obj.user, role=previous, by=request.user)
            staff_role_grant(user=obj.user, role=obj.role, by=request.user)
        for obj in instances:
            if obj.pk is None:
                staff_role_grant(user=form.instance, role=obj.role, by=request.user)
        return None

    def user_change_password(self, request: HttpRequest, id: str, form_url: str = "") -> HttpResponse:
        if request.method == "POST":
            messages.error(
                request,
                "Not saved: passwords are not set in the admin. The owner resets theirs with the forgotten-password "
                "e-mail, so nobody else ever knows it.",
            )
            return HttpResponseRedirect(reverse("admin:accounts_user_change", args=[id]))
        return super().user_change_password(request, id, form_url)


class MembershipInline(ReadOnlyInline):
    model = Membership


@admin.register(Organisation)
class OrganisationAdmin(ReadOnlyModelAdmin):
    readonly_rule = (
        "Organisations and their members change on the organisation's own pages (owners invite and remove "
        "members), audited; a membership role is never changed here."
    )
    list_display = ["name", "kind", "country", "created_at"]
    search_fields = ["name"]
    list_filter = ["kind"]
    inlines = [MembershipInline]


# Third-party registrations that carry access state: read-only too.
for _model in (Group, EmailAddress, Authenticator):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)


@admin.register(Group)
class GroupAdmin(ReadOnlyModelAdmin):
    readonly_rule = "The portal grants access through staff roles (audited), not Django groups."
    search_fields = ["name"]


@admin.register(EmailAddress)
class EmailAddressAdmin(ReadOnlyModelAdmin, AllauthEmailAddressAdmin):
    readonly_rule = "E-mail addresses are changed and verified by their owner, through allauth's audited flows."


@admin.register(Authenticator)
class AuthenticatorAdmin(ReadOnlyModelAdmin, AllauthAuthenticatorAdmin):
    readonly_rule = "Second factors are set up and removed by their owner, with reauthentication, and audited."

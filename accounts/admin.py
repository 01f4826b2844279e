from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from accounts.models import Membership, Organisation, RoleAssignment, User


class RoleAssignmentInline(admin.TabularInline[RoleAssignment, User]):
    model = RoleAssignment
    fk_name = "user"
    extra = 0
    fields = ["role", "granted_by", "created_at"]
    readonly_fields = ["granted_by", "created_at"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "is_active", "is_staff", "date_joined"]
    search_fields = ["email", "full_name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Person", {"fields": ("full_name",)}),
        ("Access", {"fields": ("is_active", "is_staff", "is_superuser")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "full_name", "password1", "password2")}),)
    inlines = [RoleAssignmentInline]

    def save_formset(self, request, form, formset, change):  # type: ignore[no-untyped-def]
        # Role changes made in the admin still go through the audited services.
        from accounts.services import staff_role_grant, staff_role_revoke

        if formset.model is not RoleAssignment:
            return super().save_formset(request, form, formset, change)
        instances = formset.save(commit=False)
        for obj in formset.deleted_objects:
            staff_role_revoke(user=obj.user, role=obj.role, by=request.user)
        for obj in instances:
            if obj.pk is None:
                staff_role_grant(user=form.instance, role=obj.role, by=request.user)
        return None


class MembershipInline(admin.TabularInline[Membership, Organisation]):
    model = Membership
    extra = 0
    raw_id_fields = ["user"]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin[Organisation]):
    list_display = ["name", "kind", "country", "created_at"]
    search_fields = ["name"]
    list_filter = ["kind"]
    inlines = [MembershipInline]

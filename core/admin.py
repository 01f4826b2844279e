"""What the Django admin may do to compliance state: nothing unaudited.

Every registration is either a `ReadOnlyModelAdmin` (superusers look; a submitted add, change, delete or bulk
action is refused with a message naming the rule, and nothing is saved) or an `AuditedModelAdmin`, whose saves
go through an audited service and which refuses to save a changed form that wrote no audit event.
`core/tests/test_admin_registry.py` walks `admin.site._registry` and holds every registration to this.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from core.models import AuditChainHead, AuditEvent

DEFAULT_RULE = "Records of this kind change only through the portal's own pages, whose services write the audit trail."


class AuditMissing(Exception):
    """An admin save changed a record without writing an audit event: the save is rolled back."""


def _refuse(model_admin: admin.ModelAdmin[Any], request: HttpRequest, rule: str, object_id: str | None) -> HttpResponse:
    meta = model_admin.model._meta
    messages.error(request, f"Not saved: {meta.verbose_name_plural} are read-only in the admin. {rule}")
    if object_id is not None:
        url = reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[object_id])
    else:
        url = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
    return HttpResponseRedirect(url)


class ReadOnlyInline(admin.TabularInline[Any, Any]):
    extra = 0

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyModelAdmin(admin.ModelAdmin[Any]):
    """Superusers may look; every write is refused with `readonly_rule`, before any form is processed."""

    readonly_rule = DEFAULT_RULE

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        if request.method == "POST":
            return _refuse(self, request, self.readonly_rule, object_id)
        return super().changeform_view(request, object_id, form_url, extra_context)

    def delete_view(self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None) -> Any:
        if request.method == "POST":
            return _refuse(self, request, self.readonly_rule, object_id)
        return super().delete_view(request, object_id, extra_context)

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        # Bulk actions and list_editable post here.
        if request.method == "POST":
            return _refuse(self, request, self.readonly_rule, None)
        return super().changelist_view(request, extra_context)


def _head_seq() -> int:
    return AuditChainHead.objects.filter(id=1).values_list("seq", flat=True).first() or 0


class AuditedModelAdmin(admin.ModelAdmin[Any]):
    """Saves through an audited service (`save_audited`); a changed form that wrote no audit event is an
    error, rolled back with the rest of the admin's transaction."""

    def save_audited(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        raise NotImplementedError(f"{type(self).__name__} must save through an audited service.")

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        before = _head_seq()
        with transaction.atomic():
            self.save_audited(request, obj, form, change)
            if form.has_changed() and _head_seq() == before:
                raise AuditMissing(f"{type(self).__name__} changed {obj!r} without writing an audit event.")

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        raise AuditMissing(f"{type(self).__name__} cannot delete: deletion is not an audited service here.")


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyModelAdmin):
    """Read-only: audit rows are written by services only."""

    readonly_rule = "The audit trail is append-only: rows are written by the portal's services, never edited."
    list_display = ["seq", "occurred_at", "actor_label", "action", "target_type", "target_id"]
    list_filter = ["action"]
    search_fields = ["actor_label", "action", "target_id", "request_id"]

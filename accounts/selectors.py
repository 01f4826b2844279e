from __future__ import annotations

from django.db.models import Q, QuerySet

from accounts.models import Organisation, User
from core.models import AuditEvent


def organisation_list_for_user(*, user: User) -> QuerySet[Organisation]:
    return Organisation.objects.filter(memberships__user=user).order_by("name")


def audit_event_list(
    *, action_prefix: str = "", actor_email: str = "", target_type: str = "", target_id: str = ""
) -> QuerySet[AuditEvent]:
    qs = AuditEvent.objects.select_related("actor").order_by("-seq")
    if action_prefix:
        qs = qs.filter(action__startswith=action_prefix)
    if actor_email:
        # Applicants are recorded by public id (core.audit.audit_label): find them through the account.
        qs = qs.filter(Q(actor_label__iexact=actor_email) | Q(actor__email__iexact=actor_email))
    if target_type:
        qs = qs.filter(target_type=target_type)
    if target_id:
        qs = qs.filter(target_id=target_id)
    return qs

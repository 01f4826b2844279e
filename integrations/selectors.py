"""Reads for the webhook pages. Object-level access goes through `endpoint_get_for_owner` only."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet

from accounts.models import Membership, Organisation
from integrations.models import Delivery, DeliveryAttempt, Endpoint


def organisations_owned_by(user: Any) -> QuerySet[Organisation]:
    """The organisations whose webhooks this user manages: those they own (members may not)."""
    if not getattr(user, "is_authenticated", False):
        return Organisation.objects.none()
    return Organisation.objects.filter(memberships__user=user, memberships__role=Membership.Role.OWNER).order_by("name")


def endpoints_for_owner(user: Any) -> QuerySet[Endpoint]:
    return (
        Endpoint.objects.filter(organisation__in=organisations_owned_by(user))
        .select_related("organisation")
        .defer("secret", "previous_secret")
        .order_by("organisation__name", "created_at")
    )


def endpoint_get_for_owner(user: Any, public_id: Any) -> Endpoint | None:
    """The endpoint if `user` owns its organisation, else None (the view answers 404 either way, so an
    outsider cannot tell a foreign endpoint from a missing one)."""
    return endpoints_for_owner(user).filter(public_id=public_id).first()


def endpoint_recent_deliveries(endpoint: Endpoint, *, limit: int = 25) -> list[Delivery]:
    return list(
        endpoint.deliveries.order_by("-created_at", "-id").prefetch_related(
            Prefetch("attempt_log", queryset=DeliveryAttempt.objects.order_by("number"))
        )[:limit]
    )

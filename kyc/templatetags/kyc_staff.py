"""The officers' notification bell in the site header: one COUNT per page, served by a partial index."""

from __future__ import annotations

from typing import Any

from django import template

from kyc.notifications import notifications_unread_count

register = template.Library()


@register.inclusion_tag("kyc/review/_bell.html", takes_context=True)
def notification_bell(context: Any) -> dict[str, Any]:
    """Render only where the header already knows a staff member with MFA is signed in (base.html guards it)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    count = notifications_unread_count(user) if user is not None and user.is_authenticated else 0
    return {"unread": count}

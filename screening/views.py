"""Staff pages of the screening app: list versions, their freshness and the last import's diff."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.decorators import capability_required
from accounts.roles import Capability
from screening.selectors import list_freshness, list_version_history


@capability_required(Capability.CASE_VIEW)
def staff_lists(request: HttpRequest) -> HttpResponse:
    freshness = list_freshness()
    return render(
        request,
        "screening/staff_lists.html",
        {
            "freshness": freshness,
            "stale": [f for f in freshness if f.stale],
            "history": list(list_version_history(limit=30)),
        },
    )

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from core.health import check_cache, check_database, worker_heartbeat


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Readiness: 200 when the database and cache answer. The worker heartbeat is reported, not required,
    so a worker restart does not take the web tier out of the load balancer."""
    checks = {"database": check_database(), "cache": check_cache(), "worker": worker_heartbeat()}
    healthy = checks["database"]["ok"] and checks["cache"]["ok"]
    return JsonResponse({"status": "ok" if healthy else "fail", "checks": checks}, status=200 if healthy else 503)


def error_400(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "400.html", status=400)


def error_403(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "403.html", {"reason": str(exception) if exception else ""}, status=403)


def error_404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "404.html", status=404)


def error_500(request: HttpRequest) -> HttpResponse:
    # No context processors that touch the database: the error may be the database.
    from django.template import loader

    return HttpResponse(loader.get_template("500.html").render({}), status=500)

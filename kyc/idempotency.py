"""`Idempotency-Key` for unsafe API calls: a retry with the same key and the same request gets the first answer's
status again, without acting twice; the same key with a different request is refused.

The record keeps no response body: answers carry personal data (birth dates, ID numbers, home addresses) that
`kyc_person` encrypts and that retention anonymises, and a copy here would sit in clear for 48 hours and in
backups. A handler names what its answer shows (`remember(response, "person:<uuid>")`) and the view rebuilds
that answer on a replay through `replay()`, with the same access checks as any call: the retry sees the
resource as it is now. Only successful answers are remembered; a refused request changed nothing, so a retry
simply runs again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from functools import wraps
from typing import Any, cast

from django.db import IntegrityError, transaction
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from kyc.models import IdempotencyRecord

HEADER = "Idempotency-Key"


def _fingerprint(request: Request) -> str:
    digest = hashlib.sha256(f"{request.method} {request.path}\n".encode())
    data = request.data
    plain: dict[str, Any] = {}
    for key in sorted(data.keys()) if hasattr(data, "keys") else []:
        value = data.getlist(key) if hasattr(data, "getlist") else data[key]
        if hasattr(value, "chunks") or (isinstance(value, list) and value and hasattr(value[0], "chunks")):
            continue
        plain[key] = value
    digest.update(json.dumps(plain, sort_keys=True, default=str).encode())
    for key in sorted(request.FILES.keys()):
        upload = request.FILES[key]
        upload.seek(0)
        for chunk in upload.chunks():
            digest.update(chunk)
        upload.seek(0)
    return digest.hexdigest()


RESOURCE_ATTR = "idempotency_resource"


def remember(response: Response, resource: str) -> Response:
    """Mark what `response` shows ("<kind>:<id>"), so a replay can rebuild it instead of storing it."""
    setattr(response, RESOURCE_ATTR, resource[:100])
    return response


def idempotent(handler: Callable[..., Response]) -> Callable[..., Response]:
    @wraps(handler)
    def wrapper(self: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
        key = request.headers.get(HEADER, "").strip()
        if not key:
            return handler(self, request, *args, **kwargs)
        if len(key) > 200:
            return Response(
                {"detail": f"The {HEADER} header is at most 200 characters.", "field": HEADER},
                status=status.HTTP_400_BAD_REQUEST,
            )
        fingerprint = _fingerprint(request)
        user_id = cast(int, request.user.pk)  # authenticated: the API requires it
        existing = IdempotencyRecord.objects.filter(user_id=user_id, key=key).first()
        if existing is None:
            # Reserve the key before running the call, so two concurrent retries cannot both act.
            try:
                with transaction.atomic():
                    existing = IdempotencyRecord.objects.create(
                        user_id=user_id,
                        key=key,
                        method=request.method or "",
                        path=request.path[:300],
                        request_hash=fingerprint,
                        status_code=0,
                    )
            except IntegrityError:
                return Response(
                    {"detail": f"A request with this {HEADER} is still being processed; retry shortly."},
                    status=status.HTTP_409_CONFLICT,
                )
            try:
                response = handler(self, request, *args, **kwargs)
            except BaseException:
                existing.delete()
                raise
            if response.status_code >= 400:
                existing.delete()
            else:
                existing.status_code = response.status_code
                existing.resource = getattr(response, RESOURCE_ATTR, "")
                existing.save(update_fields=["status_code", "resource"])
            return response
        if existing.request_hash != fingerprint:
            return Response(
                {"detail": f"This {HEADER} was already used for a different request; use a new key.", "field": HEADER},
                status=status.HTTP_422_UNPROCESSABLE_ENTITY,
            )
        if existing.status_code == 0:
            return Response(
                {"detail": f"A request with this {HEADER} is still being processed; retry shortly."},
                status=status.HTTP_409_CONFLICT,
            )
        body = self.replay(request, existing.resource, *args, **kwargs) if existing.resource else None
        response = Response(body, status=existing.status_code)
        response["Idempotent-Replayed"] = "true"
        return response

    return wrapper

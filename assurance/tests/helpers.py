"""Customers taken through the real services, the way the portal's pages and tasks call them."""

from __future__ import annotations

from typing import Any

from kyc import review, services
from kyc.models import Application
from kyc.tests.factories import complete_company

S = Application.Status


def submitted(user: Any, key: Any, **kwargs: Any) -> Application:
    app = complete_company(user, key, **kwargs)
    services.application_submit(application=app, by=user)
    return services.application_transition(application=app, to=S.READY_FOR_REVIEW, by=None, reason="screening done")


def approve(app: Application, reviewer: Any, *, level: str = "low", second: Any = None) -> Application:
    review.case_claim(application=app, by=reviewer)
    app = review.case_approve(application=app, by=reviewer, reason="documents and owners verified", risk_level=level)
    if app.status == S.PENDING_SECOND_APPROVAL:
        app = review.case_approve(application=app, by=second, reason="agree")
    return app


def approved(user: Any, key: Any, reviewer: Any, **kwargs: Any) -> Application:
    return approve(submitted(user, key, **kwargs), reviewer)

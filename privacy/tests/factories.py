"""Cases in the states retention cares about, driven through the real kyc services."""

from __future__ import annotations

from typing import Any

from dateutil.relativedelta import relativedelta  # type: ignore[import-untyped]
from django.utils import timezone

from kyc import review, services
from kyc.models import Application
from kyc.tests.factories import complete_company, complete_individual

S = Application.Status


def ready_for_review(application: Application, by: Any) -> Application:
    services.application_submit(application=application, by=by)
    return services.application_transition(application=application, to=S.READY_FOR_REVIEW, by=None, reason="screened")


def rejected_individual(user: Any, key: Any, officer: Any) -> Application:
    application = ready_for_review(complete_individual(user, key), user)
    review.case_claim(application=application, by=officer)
    return review.case_reject(
        application=application,
        by=officer,
        reason_code="unverifiable_identity",
        internal_note="passport photo unreadable",
        applicant_message="We could not verify your identity.",
    )


def approved_company(user: Any, key: Any, officer: Any) -> Application:
    application = ready_for_review(complete_company(user, key), user)
    review.case_claim(application=application, by=officer)
    return review.case_approve(application=application, by=officer, reason="all verified", risk_level="low")


def years_later(years: int, *, days: int = 0) -> Any:
    return timezone.now() + relativedelta(years=years) + relativedelta(days=days)

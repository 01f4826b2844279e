"""Operators follow their KYC/KYB case: kyc's `application_status_changed` arrives inside the decision's transaction,
so a revoked or expired case suspends its operators (and takes their addresses off the operators' list) in the
same commit, and an approved renewal carries them over without a gap."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from kyc.models import Application
from kyc.signals import application_status_changed

S = Application.Status


@receiver(application_status_changed, dispatch_uid="operators.follow_kyc_case")
def follow_kyc_case(sender: Any, *, application: Application, before: str, after: str, by: Any, **_: Any) -> None:
    # Imported here: this module loads at start-up (AppConfig.ready), and the services pull in the Ethereum stack
    # (eth_account, py_ecc), two seconds of CPU that every manage.py command would otherwise pay.
    from operators.services import operators_carry_over, operators_suspend_for_application

    if after in (S.REVOKED, S.EXPIRED):
        operators_suspend_for_application(
            application=application,
            by=by,
            reason=f"the linked KYC case {application.reference} was {'revoked' if after == S.REVOKED else 'expired'}",
        )
    elif after == S.SUPERSEDED:
        successor = application.renewals.filter(status=S.APPROVED).order_by("-pk").first()
        if successor is not None:
            operators_carry_over(application=application, successor=successor, by=by)

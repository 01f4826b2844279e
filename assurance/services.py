"""Run the integrity check, keep its record, and raise the alarm when it finds anything."""

from __future__ import annotations

import logging

from django.core.mail import mail_admins
from django.db import transaction
from django.urls import reverse

from accounts.roles import Capability
from assurance.models import VerificationRun
from assurance.verify import compliance_verify, violations_as_rows
from core.audit import audit_record
from kyc.notifications import notify_officers
from whitelist.chain import Chain

logger = logging.getLogger(__name__)


def verification_run(*, trigger: str, chain: Chain | None = None) -> VerificationRun:
    """Run `compliance_verify`, store the result and audit it. On any violation: an error in the log, a mail to the
    admins and an in-portal notification to every officer who may read the audit trail (approvers, auditors)."""
    report = compliance_verify(chain=chain)
    summary = report.summary()
    with transaction.atomic():
        run = VerificationRun.objects.create(
            source=report.source[:200],
            block_number=report.block_number,
            summary=summary,
            violations=violations_as_rows(report),
            violation_count=len(report.violations),
            trigger=trigger,
        )
        audit_record(actor=None, action="assurance.verified", target=run, data=summary)
        if report.violations:
            title = f"Compliance verification found {len(report.violations)} violation(s)"
            body = "; ".join(f"{v.list} {v.address}: {v.kind}" for v in report.violations[:5])
            notify_officers(application=None, title=title, body=body, capability=Capability.AUDIT_VIEW)
            link = reverse("assurance:verification", args=[run.pk])
            logger.error("%s (%s): %s", title, link, body)
            transaction.on_commit(lambda: mail_admins(title, f"{body}\n\nSee {link}", fail_silently=True))
    return run

"""Staff roles and what each may do.

A role is a named bundle of capabilities; code checks capabilities, never role names, so a new role or a
changed bundle is one edit here. Applicants have no role: what they can see comes from their organisation
memberships.
"""

from __future__ import annotations

from django.db import models


class StaffRole(models.TextChoices):
    REVIEWER = "reviewer", "Reviewer"
    APPROVER = "approver", "Approver (senior compliance officer)"
    WHITELIST_ADMIN = "whitelist_admin", "Whitelist admin"
    BOARD_MEMBER = "board_member", "Board member"
    AUDITOR = "auditor", "Auditor (read-only)"


class Capability:
    STAFF_AREA = "staff.area"
    CASE_VIEW = "case.view"
    CASE_REVIEW = "case.review"
    CASE_APPROVE = "case.approve"
    SCREENING_MANAGE = "screening.manage"
    WHITELIST_VIEW = "whitelist.view"
    WHITELIST_MANAGE = "whitelist.manage"
    WHITELIST_BOARD_APPROVE = "whitelist.board_approve"
    OPERATOR_REVIEW = "operator.review"
    AUDIT_VIEW = "audit.view"
    REPORT_VIEW = "report.view"
    # The integrity check's results (compliance_verify): the officers who answer for the promise, and the board.
    ASSURANCE_VIEW = "assurance.view"


ROLE_CAPABILITIES: dict[str, frozenset[str]] = {
    StaffRole.REVIEWER: frozenset(
        {Capability.STAFF_AREA, Capability.CASE_VIEW, Capability.CASE_REVIEW, Capability.OPERATOR_REVIEW}
    ),
    StaffRole.APPROVER: frozenset(
        {
            Capability.STAFF_AREA,
            Capability.CASE_VIEW,
            Capability.CASE_REVIEW,
            Capability.CASE_APPROVE,
            Capability.OPERATOR_REVIEW,
            Capability.SCREENING_MANAGE,
            Capability.AUDIT_VIEW,
            Capability.REPORT_VIEW,
            Capability.ASSURANCE_VIEW,
        }
    ),
    StaffRole.WHITELIST_ADMIN: frozenset(
        {Capability.STAFF_AREA, Capability.WHITELIST_VIEW, Capability.WHITELIST_MANAGE}
    ),
    StaffRole.BOARD_MEMBER: frozenset(
        {
            Capability.STAFF_AREA,
            Capability.WHITELIST_VIEW,
            Capability.WHITELIST_BOARD_APPROVE,
            Capability.REPORT_VIEW,
            Capability.ASSURANCE_VIEW,
        }
    ),
    StaffRole.AUDITOR: frozenset(
        {
            Capability.STAFF_AREA,
            Capability.CASE_VIEW,
            Capability.WHITELIST_VIEW,
            Capability.AUDIT_VIEW,
            Capability.REPORT_VIEW,
            Capability.ASSURANCE_VIEW,
        }
    ),
}

"""What the applicant may still change. The single hook the review issue builds its information loop on.

Section keys: "details" (type-specific facts and funds), "profile" (the individual applicant's KYC fields),
"company", "people", "documents", "wallets". A reviewer's request lists some of them in
`Application.requested_items` (a document request may name a kind: "documents:proof_of_address").
"""

from __future__ import annotations

from core.exceptions import ApplicationError
from kyc.models import Application

SECTIONS = ("details", "profile", "company", "people", "documents", "wallets")
SECTION_LABELS = {
    "details": "Application details",
    "profile": "Personal details",
    "company": "Company details",
    "people": "Directors, owners and signatories",
    "documents": "Documents",
    "wallets": "Wallet addresses",
}


def editable_sections(application: Application) -> frozenset[str]:
    if application.status == Application.Status.DRAFT:
        return frozenset(SECTIONS)
    if application.status == Application.Status.INFORMATION_REQUESTED:
        return frozenset(str(item).split(":", 1)[0] for item in application.requested_items)
    return frozenset()


def ensure_editable(application: Application, section: str) -> None:
    if section in editable_sections(application):
        return
    if application.status == Application.Status.INFORMATION_REQUESTED:
        raise ApplicationError(
            f"{SECTION_LABELS[section]} cannot be changed: the reviewer asked only for "
            f"{', '.join(SECTION_LABELS.get(s, s) for s in sorted(editable_sections(application))) or 'nothing'}.",
            code="read_only",
        )
    raise ApplicationError(
        f"Application {application.reference} is {application.get_status_display().lower()} and can no longer "
        "be changed.",
        code="read_only",
    )

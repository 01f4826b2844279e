"""Reads of the privacy app: what is due for anonymisation, what is held, what was done."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from dateutil.relativedelta import relativedelta  # type: ignore[import-untyped]
from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from kyc.models import Application
from privacy.models import DataExport, RetentionRecord

S = Application.Status
# A relationship has ended once the case reached one of these (rejection counts from its decision).
ENDED_STATUSES = frozenset({S.REJECTED, S.REVOKED, S.EXPIRED})


def subject_key_for(*, organisation_public_id: Any, applicant_public_id: Any) -> str:
    """Company applications belong to their organisation, an individual's to its applicant."""
    if organisation_public_id:
        return f"organisation:{organisation_public_id}"
    return f"user:{applicant_public_id}"


@dataclass(frozen=True)
class RetentionItem:
    application_id: int
    public_id: str
    reference: str
    status: str
    subject_key: str
    kind: str  # "draft" or "ended"
    relationship_ended_at: dt.datetime | None
    # None while the subject still has a live relationship (its AML records run from the end of that).
    due_at: dt.datetime | None
    held: bool

    def is_due(self, now: dt.datetime) -> bool:
        return not self.held and self.due_at is not None and self.due_at <= now


def aml_retention_end(ended_at: dt.datetime) -> dt.datetime:
    return ended_at + relativedelta(years=settings.PRIVACY_RETENTION_YEARS_AML)


def draft_retention_end(last_change: dt.datetime) -> dt.datetime:
    return last_change + dt.timedelta(days=settings.PRIVACY_DRAFT_RETENTION_DAYS)


def retention_items(*, subject_keys: set[str] | None = None) -> list[RetentionItem]:
    """Every application still holding personal data, with its retention date (two queries).

    Rules: a draft never submitted is due PRIVACY_DRAFT_RETENTION_DAYS after its last change. A submitted
    application is an AML record: while its subject has any live case (submitted, in review, approved...)
    nothing of the subject is due; once every case ended, all of them are due PRIVACY_RETENTION_YEARS_AML after
    the latest end. A legal hold on any application holds the whole subject, since an investigation concerns
    the customer, not one file.
    """
    rows: list[dict[str, Any]] = [
        dict(row)
        for row in Application.objects.filter(Q(retention__isnull=True) | Q(retention__anonymised_at__isnull=True))
        .values(
            "pk",
            "public_id",
            "reference",
            "status",
            "status_changed_at",
            "updated_at",
            "organisation__public_id",
            "applicant__public_id",
        )
        .order_by("pk")
    ]
    by_subject: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        key = subject_key_for(
            organisation_public_id=row["organisation__public_id"], applicant_public_id=row["applicant__public_id"]
        )
        if subject_keys is not None and key not in subject_keys:
            continue
        by_subject[key].append(row)
    held_subjects = set(
        RetentionRecord.objects.filter(legal_hold=True, subject_key__in=list(by_subject)).values_list(
            "subject_key", flat=True
        )
    )
    items: list[RetentionItem] = []
    for key, apps in by_subject.items():
        live = any(a["status"] != S.DRAFT and a["status"] not in ENDED_STATUSES for a in apps)
        ends = [a["status_changed_at"] or a["updated_at"] for a in apps if a["status"] in ENDED_STATUSES]
        subject_due = aml_retention_end(max(ends)) if ends and not live else None
        for a in apps:
            ended: dt.datetime | None
            due: dt.datetime | None
            if a["status"] == S.DRAFT:
                kind, ended, due = "draft", None, draft_retention_end(a["updated_at"])
            elif a["status"] in ENDED_STATUSES:
                kind, ended, due = "ended", a["status_changed_at"] or a["updated_at"], subject_due
            else:
                continue  # a live case is not a retention item
            items.append(
                RetentionItem(
                    application_id=a["pk"],
                    public_id=str(a["public_id"]),
                    reference=a["reference"],
                    status=a["status"],
                    subject_key=key,
                    kind=kind,
                    relationship_ended_at=ended,
                    due_at=due,
                    held=key in held_subjects,
                )
            )
    return items


def retention_due(*, now: dt.datetime | None = None) -> dict[str, list[RetentionItem]]:
    """Due items grouped by subject: the retention job anonymises one group per transaction."""
    now = now or timezone.now()
    groups: dict[str, list[RetentionItem]] = defaultdict(list)
    for item in retention_items():
        if item.is_due(now):
            groups[item.subject_key].append(item)
    return dict(groups)


def retention_held() -> QuerySet[RetentionRecord]:
    return RetentionRecord.objects.filter(legal_hold=True).select_related("legal_hold_by").order_by("-legal_hold_at")


def retention_done(*, limit: int = 200) -> QuerySet[RetentionRecord]:
    return RetentionRecord.objects.filter(anonymised_at__isnull=False).order_by("-anonymised_at")[:limit]


def data_exports_of(*, requester: Any, subject: Any = None) -> QuerySet[DataExport]:
    """The requester's archives of the last week, newest first (the page lists them with their links)."""
    since = timezone.now() - dt.timedelta(days=7)
    exports = DataExport.objects.filter(requested_by=requester, created_at__gte=since).select_related("subject")
    if subject is not None:
        exports = exports.filter(subject=subject)
    return exports.order_by("-created_at")[:20]


def data_export_get_for_download(*, user: Any, public_id: Any) -> DataExport | None:
    """A ready, unexpired archive that `user` requested; None for anything else (the view answers 404)."""
    return (
        DataExport.objects.select_related("subject")
        .filter(
            public_id=public_id,
            requested_by_id=getattr(user, "pk", None),
            status=DataExport.Status.READY,
            expires_at__gt=timezone.now(),
        )
        .first()
    )

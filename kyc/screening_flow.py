"""Screening of a case: whom kyc asks screening to check, what the results mean for the case, and the hooks that
ongoing monitoring calls.

Screening knows subjects only by the opaque refs kyc gives them (`kyc.adjudication.subject_refs`):
"kyc.application:<uuid>" (the company of a KYB case), "kyc.person:<uuid>" and "kyc.wallet:<uuid>".

The flow: `application_submitted` (on commit) enqueues `kyc.screening_start`, which moves the case from submitted
(or resubmitted) to screening and creates one check per subject and kind whose data is not already screened;
each check runs as its own Celery task (retried with backoff, then failed "provider unavailable"). Every settled
check (`screening.signals.check_settled`) asks `case_screening_settle` whether the case is done: once no check
is pending or running, the case is ready for review and its risk is assessed again with the screening results.
A failed check does not hold the case in screening, but `case_screening_blockers` keeps it from being approved
until staff re-run it (`case_screening_rerun`).
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership
from core.audit import audit_record
from core.exceptions import ApplicationError
from kyc.adjudication import confirmed_hits, confirmed_pep_hits, open_hits, subject_refs
from kyc.countries import COUNTRIES
from kyc.models import COMPANY_SUBJECT_TYPES, Application, Person, StatusTransition, WalletAddress
from kyc.signals import application_submitted
from screening.signals import check_settled

if TYPE_CHECKING:
    from accounts.models import User
    from screening.models import Check
    from screening.services import MonitoredSubject

logger = logging.getLogger(__name__)

S = Application.Status
APPLICATION_REF = "kyc.application:"
PERSON_REF = "kyc.person:"
WALLET_REF = "kyc.wallet:"
COLLEAGUE_REF = "kyc.colleague:"
OPERATOR_REF = "kyc.operator:"

# States in which a case's subjects are (re)screened when a submission arrives. Ready for review and in review
# are there because an officer may claim a resubmitted case before the worker plans its checks: the changed
# subjects are screened all the same, and the running checks block the approval until they finish.
_STARTABLE = frozenset({S.SUBMITTED, S.RESUBMITTED, S.SCREENING, S.READY_FOR_REVIEW, S.IN_REVIEW})
# States after screening in which a later result (a re-run, a late webhook) re-assesses the risk.
_REASSESSED = frozenset({S.READY_FOR_REVIEW, S.IN_REVIEW, S.RESUBMITTED})


@dataclass(frozen=True)
class PlannedCheck:
    """One check the case needs: which subject, which kind, and the plain data screening receives."""

    subject_ref: str
    kind: str
    subject: dict[str, Any]
    label: str


def _country_names(codes: Iterable[str]) -> str:
    # Several nationalities are separated by ";". Names rather than ISO codes, so that the subject reads well on
    # the case page and in the raw payload; the matcher reduces both to codes (screening.countries).
    return "; ".join(COUNTRIES.get(code, code) for code in codes if code)


def _aliases(*groups: Iterable[str] | None) -> list[str]:
    """Every other name, once, in the order given: other names, then former names (trading names for companies)."""
    out: list[str] = []
    for group in groups:
        for name in group or []:
            if name and name not in out:
                out.append(name)
    return out


def _person_subject(person: Person) -> dict[str, Any]:
    dob = person.date_of_birth
    return {
        "name": person.legal_name,
        # Other and former names are screened with the legal name: a changed or added one changes the subject,
        # so a resubmission screens it again before review.
        "aliases": [n for n in _aliases(person.other_names, person.former_names) if n != person.legal_name],
        "schema": "Person",
        # Only the year leaves kyc: the matcher weighs birth years (lists often give no more), and screening's
        # records are not encrypted while the full date of birth is personal data kept encrypted here.
        "birth_date": str(dob.year) if isinstance(dob, dt.date) else "",
        "nationality": _country_names(person.nationalities or []),
        "country": person.country_of_residence,
    }


def _identity_subject(person: Person, application: Application, ref: str) -> dict[str, Any]:
    data = _person_subject(person)
    del data["aliases"]  # identity verification is of the person's documents, under the legal name
    # The identity provider knows the person by our opaque ref only (no database ids leave the portal).
    data["external_user_id"] = ref
    if person.role == Person.Role.SUBJECT:
        data["email"] = application.applicant.email
    return data


def person_label(person: Person) -> str:
    return f"{person.legal_name} ({person.get_role_display()})"


def case_screening_plan(application: Application) -> list[PlannedCheck]:
    """Every check the case needs now, from its current data: each person (name; identity when an identity
    provider is configured), the company of a KYB case (name; registry lookup when configured and it has an
    LEI) and each wallet."""
    providers: dict[str, str] = settings.SCREENING_PROVIDERS
    planned: list[PlannedCheck] = []
    # A kind whose provider is switched off (SCREENING_PROVIDER_<KIND> empty) is not planned at all.
    names_on, wallets_on = bool(providers.get("name")), bool(providers.get("wallet"))
    company = getattr(application, "company", None) if application.subject_type in COMPANY_SUBJECT_TYPES else None
    if company is not None and company.legal_name:
        ref = f"{APPLICATION_REF}{application.public_id}"
        label = f"{company.legal_name} (company)"
        subject = {"name": company.legal_name, "schema": "Company", "country": company.jurisdiction}
        if names_on:
            aliases = [n for n in _aliases(company.trading_names, company.former_names) if n != company.legal_name]
            planned.append(PlannedCheck(ref, "name", {**subject, "aliases": aliases}, label))
        if providers.get("company") and company.lei:
            planned.append(PlannedCheck(ref, "company", {**subject, "lei": company.lei}, label))
    for person in application.people.all():
        ref = f"{PERSON_REF}{person.public_id}"
        if names_on:
            planned.append(PlannedCheck(ref, "name", _person_subject(person), person_label(person)))
        if providers.get("identity"):
            planned.append(
                PlannedCheck(ref, "identity", _identity_subject(person, application, ref), person_label(person))
            )
    if names_on:
        planned += _colleague_checks(application) + _operator_checks(application)
    for wallet in application.wallets.all() if wallets_on else ():
        planned.append(
            PlannedCheck(
                f"{WALLET_REF}{wallet.public_id}",
                "wallet",
                {"address": wallet.address},
                f"wallet {wallet.label} {wallet.address}",
            )
        )
    return planned


def _colleague_checks(application: Application) -> list[PlannedCheck]:
    """The colleagues who act for a company customer (the members of its organisation, under the names they gave)
    are screened like its directors: each under "kyc.colleague:<case>:<user>", per case."""
    organisation = application.organisation
    if organisation is None:
        return []
    planned = []
    members = organisation.memberships.select_related("user").order_by("pk")
    for membership in members:
        user = membership.user
        if user.full_name.strip():
            planned.append(
                PlannedCheck(
                    f"{COLLEAGUE_REF}{application.public_id}:{user.public_id}",
                    "name",
                    {"name": user.full_name, "aliases": [], "schema": "Person"},
                    f"{user.full_name} (colleague acting for the customer)",
                )
            )
    return planned


def _operator_checks(application: Application) -> list[PlannedCheck]:
    """Node operators vetted under this case: the operator's own name (a company's or an individual's) is
    screened too, under "kyc.operator:<operator>". Read through the reverse relation: kyc does not import the
    operators app (it is the other way round)."""
    planned = []
    company_case = application.subject_type in COMPANY_SUBJECT_TYPES
    for public_id, name in application.operator_profiles.values_list("public_id", "name").order_by("pk"):
        if name.strip():
            planned.append(
                PlannedCheck(
                    f"{OPERATOR_REF}{public_id}",
                    "name",
                    {"name": name, "aliases": [], "schema": "Company" if company_case else "Person"},
                    f"{name} (node operator)",
                )
            )
    return planned


def _latest_checks(refs: Iterable[str]) -> dict[tuple[str, str], Check]:
    """The newest onboarding or manual check per (subject, kind); monitoring checks only add hits."""
    from screening.models import Check

    latest: dict[tuple[str, str], Check] = {}
    rows = (
        Check.objects.filter(subject_ref__in=list(refs))
        .exclude(trigger=Check.Trigger.MONITORING)
        .order_by("subject_ref", "kind", "-created_at", "-pk")
    )
    for check in rows:
        latest.setdefault((check.subject_ref, check.kind), check)
    return latest


def case_screening_start(*, application_id: int) -> list[Check]:
    """Start (or continue) the screening of a submitted or resubmitted case.

    Requires the case to be submitted, resubmitted, screening, ready for review or in review (otherwise nothing
    happens). Under the case's
    row lock, creates a check for each planned (subject, kind) whose data differs from its newest check, or
    that has none: a repeated signal creates nothing twice, and a resubmitted case screens only what changed.
    Moves a submitted case to screening (a resubmitted one only when something is screened again; its assignee
    stays). Each check runs after commit; the case is settled after commit too, so a case with nothing left to
    screen moves on at once. Audited as `case.screening_started`.
    """
    from kyc.services import application_transition
    from screening.services import check_create

    with transaction.atomic():
        application = Application.objects.select_for_update().select_related("applicant").get(pk=application_id)
        if application.status not in _STARTABLE:
            return []
        plan = case_screening_plan(application)
        latest = _latest_checks({p.subject_ref for p in plan})
        created: list[Check] = []
        for item in plan:
            previous = latest.get((item.subject_ref, item.kind))
            if previous is not None and previous.subject == item.subject:
                continue
            created.append(check_create(kind=item.kind, subject_ref=item.subject_ref, subject=item.subject, by=None))
        if application.status == S.SUBMITTED or (application.status == S.RESUBMITTED and created):
            application = application_transition(
                application=application,
                to=S.SCREENING,
                by=None,
                reason="screening started",
                data={"checks": [c.pk for c in created]},
            )
        if created:
            audit_record(
                actor=None,
                action="case.screening_started",
                target=application,
                data={"checks": [{"id": c.pk, "kind": c.kind, "ref": c.subject_ref} for c in created]},
            )
        transaction.on_commit(lambda: case_screening_settle(application_id=application_id), robust=True)
    return created


def _live_wallet_hits(application: Application) -> int:
    return sum(1 for h in open_hits(application) if h.check_run.subject_ref.startswith(WALLET_REF))


def case_risk_reassess(application: Application) -> None:
    """Score the case again with its screening results (open, confirmed and wallet hits)."""
    from kyc.risk import application_risk_assess

    application_risk_assess(
        application=application,
        by=None,
        open_hits=len(open_hits(application)),
        confirmed_hits=confirmed_hits(application),
        wallet_hits=_live_wallet_hits(application),
        pep_hits=[
            (h.category, f"{h.query_name or h.matched_name} is {h.matched_name} ({h.entity_id}); {h.explanation}")
            for h in confirmed_pep_hits(application)
        ],
    )


def case_screening_settle(*, application_id: int) -> bool:
    """Move a case in screening to ready for review once none of its checks is pending or running (done, or
    failed after its retries), and assess its risk with the results. Safe to call any number of times and
    concurrently (row lock; a case no longer in screening is left alone). Returns whether the case moved."""
    from kyc.services import application_transition
    from screening.models import CheckStatus

    with transaction.atomic():
        application = Application.objects.select_for_update().get(pk=application_id)
        if application.status != S.SCREENING:
            if application.status in _REASSESSED:
                case_risk_reassess(application)
            return False
        checks = list(_latest_checks(subject_refs(application)).values())
        if any(c.status in (CheckStatus.PENDING, CheckStatus.RUNNING) for c in checks):
            return False
        failed = [c.pk for c in checks if c.status == CheckStatus.FAILED]
        application = application_transition(
            application=application,
            to=S.READY_FOR_REVIEW,
            by=None,
            reason="screening finished" + (f"; {len(failed)} check(s) failed and must be re-run" if failed else ""),
            data={"checks": len(checks), "failed": failed},
        )
        case_risk_reassess(application)
        return True


# Reads for the case page ---------------------------------------------------------------------------------------


def _subject_labels(application: Application) -> dict[str, str]:
    labels: dict[str, str] = {}
    if application.subject_type in COMPANY_SUBJECT_TYPES:
        company = getattr(application, "company", None)
        labels[f"{APPLICATION_REF}{application.public_id}"] = (
            f"{company.legal_name} (company)" if company and company.legal_name else "the company"
        )
    else:
        labels[f"{APPLICATION_REF}{application.public_id}"] = "the application"
    for person in application.people.all():
        labels[f"{PERSON_REF}{person.public_id}"] = person_label(person)
    for wallet in application.wallets.all():
        labels[f"{WALLET_REF}{wallet.public_id}"] = f"wallet {wallet.label} {wallet.address}"
    for item in _colleague_checks(application) + _operator_checks(application):
        labels[item.subject_ref] = item.label
    return labels


def case_checks(application: Application) -> list[Check]:
    """Every screening check of the case (company, people, wallets), in the order the case lists its subjects,
    newest first per subject, with their hits prefetched. Each check carries `subject_label` for display,
    `rerunnable` (the newest check of its subject and kind, failed or never started) and `rerun_url`."""
    from screening.models import Check, CheckStatus

    labels = _subject_labels(application)
    order = {ref: i for i, ref in enumerate(labels)}
    checks = list(Check.objects.filter(subject_ref__in=list(labels)).prefetch_related("hits").order_by("-created_at"))
    checks.sort(key=lambda c: order.get(c.subject_ref, len(order)))  # stable: newest first within a subject
    rerun_url = reverse("kyc_screening:rerun", args=[application.public_id])
    newest: set[tuple[str, str]] = set()
    for check in checks:
        check.subject_label = labels.get(check.subject_ref, check.subject_ref)  # type: ignore[attr-defined]
        check.rerun_url = rerun_url  # type: ignore[attr-defined]
        # Only the newest non-monitoring check of a subject and kind can be re-run (older ones are history).
        key = (check.subject_ref, check.kind)
        rerunnable = False
        if check.trigger != Check.Trigger.MONITORING and key not in newest:
            newest.add(key)
            rerunnable = check.status in (CheckStatus.FAILED, CheckStatus.PENDING)
        check.rerunnable = rerunnable  # type: ignore[attr-defined]
    return checks


def _blocking_checks(application: Application) -> list[tuple[Check, str]]:
    from screening.models import CheckStatus

    labels = _subject_labels(application)
    found: list[tuple[Check, str]] = []
    for (ref, _kind), check in sorted(_latest_checks(labels).items()):
        label = labels.get(ref, ref)
        if check.status in (CheckStatus.PENDING, CheckStatus.RUNNING):
            found.append((check, f"{label}: the {check.get_kind_display().lower()} check is still running."))
        elif check.status == CheckStatus.FAILED:
            found.append(
                (
                    check,
                    f"{label}: the {check.get_kind_display().lower()} check failed ({check.error or 'no result'}); "
                    "re-run it.",
                )
            )
    return found


def case_screening_blockers(application: Application) -> list[str]:
    """Reasons the case may not be approved because of screening: a check still running, or one that failed
    without a result (it must be re-run). Empty when every newest check of every subject has a result."""
    return [reason for _, reason in _blocking_checks(application)]


@transaction.atomic
def case_screening_rerun(*, application: Application, by: User) -> list[Check]:
    """A staff member runs again every check of the case that failed (provider unavailable) and any that is
    still pending. Requires the case-review capability; refuses when there is nothing to re-run, except that a
    case stuck before review (submitted or screening, nothing failed) is started again: missing checks are
    created and the case settles when all have a result. Each check runs in a new Celery task after commit;
    audited as `case.screening_rerun`."""
    from accounts.permissions import user_has_capability
    from accounts.roles import Capability
    from screening.models import CheckStatus

    if not user_has_capability(by, Capability.CASE_REVIEW):
        raise ApplicationError("You do not have the role needed to re-run screening.", code="forbidden")
    application = Application.objects.select_for_update().get(pk=application.pk)
    checks = [
        check for check, _ in _blocking_checks(application) if check.status in (CheckStatus.FAILED, CheckStatus.PENDING)
    ]
    if not checks and application.status in (S.SUBMITTED, S.SCREENING):
        # Nothing failed, yet the case is stuck before review: an event was lost (a broker outage at submission,
        # a worker that died after committing a result). Start again: the missing checks are created, existing
        # ones are kept, and the case settles once they all have a result. Never a move without screening.
        application_id = application.pk
        audit_record(actor=by, action="case.screening_rerun", target=application, data={"checks": [], "restart": True})
        transaction.on_commit(lambda: screening_start_task.delay(application_id), robust=True)
        return []
    if not checks:
        raise ApplicationError(
            f"{application.reference} has no failed screening check to re-run.", code="nothing_to_rerun"
        )
    ids = [c.pk for c in checks]
    audit_record(
        actor=by,
        action="case.screening_rerun",
        target=application,
        data={"checks": [{"id": c.pk, "kind": c.kind, "ref": c.subject_ref, "error": c.error[:200]} for c in checks]},
    )

    def enqueue() -> None:
        from screening.tasks import check_run_task

        for check_id in ids:
            check_run_task.delay(check_id)

    transaction.on_commit(enqueue, robust=True)
    return checks


# Events -----------------------------------------------------------------------------------------------------------


@shared_task(name="kyc.screening_start", acks_late=True)
def screening_start_task(application_id: int) -> None:
    """Thin: plan and create the case's checks (idempotent, so a redelivery is harmless)."""
    case_screening_start(application_id=application_id)


def cases_screening_stuck(*, now: dt.datetime | None = None) -> tuple[list[int], list[int]]:
    """Cases whose screening events were lost (a broker restart, a worker killed before it acknowledged): those
    still submitted KYC_SCREENING_STALE_MINUTES after submission (the start task never ran), and those in
    screening (a settled check's event may be gone; settling is idempotent and cheap). At most 500 of each."""
    now = now or timezone.now()
    before = now - dt.timedelta(minutes=settings.KYC_SCREENING_STALE_MINUTES)
    unstarted = Application.objects.filter(status=S.SUBMITTED, submitted_at__lt=before).order_by("submitted_at")
    screening = Application.objects.filter(status=S.SCREENING).order_by("updated_at")
    return list(unstarted.values_list("pk", flat=True)[:500]), list(screening.values_list("pk", flat=True)[:500])


@shared_task(name="kyc.screening_sweep", time_limit=300, soft_time_limit=270)
def screening_sweep_task() -> dict[str, int]:
    """Thin: start the screening of cases whose start was lost, and settle cases whose checks are done."""
    unstarted, screening = cases_screening_stuck()
    for application_id in unstarted:
        screening_start_task.delay(application_id)
    settled = sum(case_screening_settle(application_id=pk) for pk in screening)
    return {"started": len(unstarted), "settled": settled}


@receiver(application_submitted, dispatch_uid="kyc.screening_flow.on_submitted")
def _on_application_submitted(sender: Any, application_id: int, **kwargs: Any) -> None:
    # Sent after the submission committed: hand the planning to a worker so the request stays fast.
    screening_start_task.delay(application_id)


@receiver(post_save, sender=StatusTransition, dispatch_uid="kyc.screening_flow.on_resubmitted")
def _on_resubmitted(sender: Any, instance: StatusTransition, created: bool, **kwargs: Any) -> None:
    # A resubmission (after a request for information) screens again what the applicant changed. The history
    # row is the one place every resubmission passes through; the task runs only if the transition commits.
    if created and instance.to_status == S.RESUBMITTED:
        application_id = instance.application_id
        transaction.on_commit(lambda: screening_start_task.delay(application_id), robust=True)


def application_id_for_ref(subject_ref: str) -> int | None:
    """The case a screening subject ref belongs to, or None for a ref kyc did not give out."""
    prefix, _, value = subject_ref.partition(":")
    if prefix == "kyc.colleague":
        value = value.partition(":")[0]  # the case's id, then the colleague's
        prefix = "kyc.application"
    try:
        public_id = uuid.UUID(value)
    except ValueError:
        return None
    if prefix == "kyc.operator":
        return Application.objects.filter(operator_profiles__public_id=public_id).values_list("pk", flat=True).first()
    if prefix == "kyc.application":
        return Application.objects.filter(public_id=public_id).values_list("pk", flat=True).first()
    if prefix == "kyc.person":
        return Person.objects.filter(public_id=public_id).values_list("application_id", flat=True).first()
    if prefix == "kyc.wallet":
        return WalletAddress.objects.filter(public_id=public_id).values_list("application_id", flat=True).first()
    return None


@receiver(check_settled, dispatch_uid="kyc.screening_flow.on_check_settled")
def _on_check_settled(sender: Any, check_id: int, subject_ref: str, **kwargs: Any) -> None:
    application_id = application_id_for_ref(subject_ref)
    if application_id is not None:
        case_screening_settle(application_id=application_id)
        _alert_if_approved(application_id, check_id)


def _alert_if_approved(application_id: int, check_id: int) -> None:
    """A name screened after approval (a node operator or colleague added later) that hits a list: the officers
    are alerted as for a monitoring hit."""
    from screening.models import Hit

    if not Application.objects.filter(pk=application_id, status=S.APPROVED).exists():
        return
    if Hit.objects.filter(check_run_id=check_id, suppressed=False, is_history=False).exists():
        monitoring_alert([check_id])


# Names that join a case after it was screened ---------------------------------------------------------------------
_NAMES_LATER = (OPERATOR_REF, COLLEAGUE_REF)
_NAMES_LATER_STATES = frozenset({S.IN_REVIEW, S.READY_FOR_REVIEW, S.PENDING_SECOND_APPROVAL, S.APPROVED})


def case_names_screen(*, application_id: int) -> list[Check]:
    """Screen the node operators and colleagues of a case that were added or renamed after its screening started
    (an operator registered under an approved case, a colleague who joined the organisation). Only in review or
    approved: before that, `case_screening_start` plans them with everything else. Idempotent like it: a name
    whose newest check has the same data is not screened again. Audited as `case.screening_started`."""
    from screening.services import check_create

    with transaction.atomic():
        application = Application.objects.select_for_update().get(pk=application_id)
        if application.status not in _NAMES_LATER_STATES or not settings.SCREENING_PROVIDERS.get("name"):
            return []
        plan = [p for p in case_screening_plan(application) if p.subject_ref.startswith(_NAMES_LATER)]
        latest = _latest_checks({p.subject_ref for p in plan})
        created = [
            check_create(kind=item.kind, subject_ref=item.subject_ref, subject=item.subject, by=None)
            for item in plan
            if (previous := latest.get((item.subject_ref, item.kind))) is None or previous.subject != item.subject
        ]
        if created:
            audit_record(
                actor=None,
                action="case.screening_started",
                target=application,
                data={"checks": [{"id": c.pk, "kind": c.kind, "ref": c.subject_ref} for c in created]},
            )
    return created


@shared_task(name="kyc.case_names_screen", acks_late=True)
def case_names_screen_task(application_id: int) -> None:
    """Thin: see case_names_screen (idempotent, so a redelivery is harmless)."""
    case_names_screen(application_id=application_id)


# A lazy sender: kyc does not import the operators app (operators uses kyc), yet its operators are screened.
@receiver(post_save, sender="operators.OperatorProfile", dispatch_uid="kyc.screening_flow.on_operator_saved")
def _on_operator_saved(sender: Any, instance: Any, **kwargs: Any) -> None:
    application_id = instance.kyc_application_id
    if application_id:
        transaction.on_commit(lambda: case_names_screen_task.delay(application_id))


@receiver(post_save, sender=Membership, dispatch_uid="kyc.screening_flow.on_membership_saved")
def _on_membership_saved(sender: Any, instance: Membership, created: bool, **kwargs: Any) -> None:
    if not created:
        return
    ids = list(
        Application.objects.filter(
            organisation_id=instance.organisation_id, status__in=_NAMES_LATER_STATES
        ).values_list("pk", flat=True)
    )
    transaction.on_commit(lambda: [case_names_screen_task.delay(pk) for pk in ids])


# Monitoring hooks (SCREENING_MONITORING_SUBJECTS / SCREENING_MONITORING_ALERT) --------------------------------


def monitored_subjects() -> Iterator[MonitoredSubject]:
    """Every approved case's company name, people and wallets, as monitoring re-screens them."""
    from screening.services import MonitoredSubject

    approved = (
        Application.objects.filter(status=S.APPROVED)
        .select_related("applicant", "company")
        .prefetch_related("people", "wallets")
        .order_by("pk")
    )
    for application in approved.iterator(chunk_size=200):
        for item in case_screening_plan(application):
            if item.kind in ("name", "wallet"):
                yield MonitoredSubject(subject_ref=item.subject_ref, kind=item.kind, subject=item.subject)


def monitoring_alert(check_ids: list[int]) -> None:
    """A monitoring run found new hits: each affected case gets a `case.monitoring_alert` audit entry naming the
    checks and entities, and the officers who review cases are notified in the portal. The hits themselves are
    open hits of the case until someone rules on them."""
    from screening.models import Check

    by_case: dict[int, list[Check]] = {}
    for check in Check.objects.filter(pk__in=check_ids).prefetch_related("hits").order_by("pk"):
        application_id = application_id_for_ref(check.subject_ref)
        if application_id is not None:
            by_case.setdefault(application_id, []).append(check)
    for application_id, checks in by_case.items():
        with transaction.atomic():
            application = Application.objects.select_for_update().get(pk=application_id)
            entities = sorted({h.entity_id for c in checks for h in c.hits.all() if not h.suppressed})
            audit_record(
                actor=None,
                action="case.monitoring_alert",
                target=application,
                data={"checks": [c.pk for c in checks], "entities": entities},
            )
            _notify_monitoring(application, checks, entities)


def _notify_monitoring(application: Application, checks: list[Check], entities: list[str]) -> None:
    from kyc.notifications import notify_officers

    names = sorted({h.matched_name for c in checks for h in c.hits.all() if not h.suppressed})
    notify_officers(
        application=application,
        title=f"{application.reference}: new screening hit on an approved case",
        body=(
            f"Ongoing monitoring found {len(entities)} new list entr{'y' if len(entities) == 1 else 'ies'} "
            f"({', '.join(entities)}) matching {', '.join(names)}. Rule on the hits on the case page."
        ),
        capability="case.review",
    )


STALE_LISTS_TITLE = "Screening lists out of date"


def lists_stale_alert(messages: list[str]) -> None:
    """SCREENING_STALE_ALERT: a list is stale or was never imported, so screening relies on old data. The staff
    who manage screening are notified in the portal, once per SCREENING_STALE_ALERT_REPEAT_HOURS while it lasts
    (the hourly check would otherwise repeat itself), and the event is audited every time."""
    from accounts.roles import Capability
    from kyc.models import Notification
    from kyc.notifications import notify_officers

    audit_record(actor=None, action="screening.lists_stale", data={"messages": messages})
    since = timezone.now() - dt.timedelta(hours=settings.SCREENING_STALE_ALERT_REPEAT_HOURS)
    if Notification.objects.filter(title=STALE_LISTS_TITLE, created_at__gte=since).exists():
        return
    notify_officers(
        application=None,
        title=STALE_LISTS_TITLE,
        body=" ".join(messages) + " Check the download (screening.list_refresh) or import the list by hand.",
        capability=Capability.SCREENING_MANAGE,
    )

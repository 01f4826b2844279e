"""The authorisation matrix: for every page (by URL name) and every API operation (by OpenAPI path and method),
what each persona gets. test_authz_matrix.py checks the table against the running portal, and fails for a URL or
operation that has no entry here (and for an entry whose URL no longer exists).

Staff rows are computed from the capabilities in accounts/roles.py (`staff(Capability.X)`), so changing a role's
bundle changes the expectation in one place. Outcomes are defined in probe.py:

    ok        2xx                                 login     redirect to sign in
    mfa       staff without TOTP sent to set it   403 / 404 / 405 / 400
    redirect  another redirect                    allowed   an unsafe call by someone entitled (not denied, no 5xx)
    refused   passes the access check, but the service refuses it and nothing is recorded

Personas (world.py): anonymous, owner_a (owner of organisation A, which owns every object), applicant_b (an
applicant of organisation B), reviewer, approver, whitelist_admin, board_member, auditor, staff_without_mfa (a
reviewer who has not set up TOTP).
"""

from __future__ import annotations

from accounts.roles import ROLE_CAPABILITIES, Capability
from core.tests.authz.probe import (
    ALLOWED,
    BAD_REQUEST,
    FORBIDDEN,
    LOGIN,
    MFA,
    NOT_ALLOWED,
    NOT_FOUND,
    OK,
    REDIRECT,
)
from core.tests.authz.world import (
    ANON,
    APPROVER,
    AUDITOR,
    BOARD,
    NO_MFA,
    OUTSIDER,
    OWNER,
    PERSONAS,
    REVIEWER,
    STAFF_ROLES,
    WHITELIST_ADMIN,
)

Row = dict[str, str]
STAFF = (REVIEWER, APPROVER, WHITELIST_ADMIN, BOARD, AUDITOR)


def every(outcome: str, **overrides: str) -> Row:
    return {p: overrides.get(p, outcome) for p in PERSONAS}


def public(ok: str = OK, **overrides: str) -> Row:
    """Anyone, signed in or not (the staff member without MFA is held at the MFA set-up like everywhere)."""
    return every(ok, **{NO_MFA: MFA, **overrides})


def signed_in(ok: str = OK, **overrides: str) -> Row:
    return every(ok, **{ANON: LOGIN, NO_MFA: MFA, **overrides})


def owner(ok: str = OK, others: str = NOT_FOUND, **overrides: str) -> Row:
    """Organisation A's own object: its owner acts; everyone else is told it does not exist."""
    return every(others, **{ANON: LOGIN, OWNER: ok, NO_MFA: MFA, **overrides})


def staff(
    capability: str, ok: str = OK, others: str = FORBIDDEN, applicants: str | None = None, **overrides: str
) -> Row:
    """Staff holding `capability` (per accounts/roles.py) get `ok`, other staff `others`, applicants
    `applicants` (default: the same as other staff)."""
    row = every(others, **{ANON: LOGIN, NO_MFA: MFA})
    for persona in STAFF:
        if capability in ROLE_CAPABILITIES[STAFF_ROLES[persona]]:
            row[persona] = ok
    row[OWNER] = row[OUTSIDER] = applicants or others
    row.update(overrides)
    return row


def api(row: Row) -> Row:
    """The API answers an anonymous caller with a 403 (session authentication, no login redirect) and a staff
    member without MFA with a 403 whose code is mfa_required."""
    return {**row, ANON: row[ANON] if row[ANON] != LOGIN else FORBIDDEN}


def post_only(anon: str = LOGIN) -> Row:
    """GET on a POST-only view."""
    return every(NOT_ALLOWED, **{ANON: anon, NO_MFA: MFA})


A = Capability

# Pages, by URL name ------------------------------------------------------------------------------------------
PAGES: dict[str, dict[str, Row]] = {
    "healthz": {"GET": every(OK), "POST": every(NOT_ALLOWED)},
    # accounts: home, staff, audit, organisations, invitations, API keys
    "home": {"GET": signed_in(**dict.fromkeys(STAFF, REDIRECT))},  # staff are sent on to the staff home
    "staff_home": {"GET": staff(A.STAFF_AREA)},
    "staff_audit": {"GET": staff(A.AUDIT_VIEW)},
    "organisation_members": {"GET": owner(), "POST": owner(ALLOWED)},
    # Any applicant may register an organisation (an empty form is a 200 with its errors); staff are sent home.
    "organisation_new": {
        "GET": signed_in(**dict.fromkeys(STAFF, REDIRECT)),
        "POST": signed_in(**dict.fromkeys(STAFF, REDIRECT)),
    },
    "invitation_revoke": {"GET": post_only(), "POST": owner(ALLOWED)},
    # Only the invited address may open an invitation; nobody in the personas is the invitee.
    "invitation_accept": {"GET": signed_in(NOT_FOUND), "POST": signed_in(NOT_FOUND)},
    "organisation_api_keys": {"GET": owner(), "POST": owner(ALLOWED)},
    "api_key_rotate": {"GET": post_only(), "POST": owner(ALLOWED)},
    "api_key_revoke": {"GET": post_only(), "POST": owner(ALLOWED)},
    # kyc: the applicant's side (staff accounts have no applications: 404)
    "kyc:list": {"GET": signed_in(**dict.fromkeys(STAFF, NOT_FOUND))},
    "kyc:new": {
        "GET": signed_in(**dict.fromkeys(STAFF, NOT_FOUND)),
        "POST": signed_in(ALLOWED, **dict.fromkeys(STAFF, NOT_FOUND)),
    },
    "kyc:status": {"GET": owner()},
    "kyc:resume": {"GET": owner(REDIRECT)},
    "kyc:step": {"GET": owner(), "POST": owner(ALLOWED)},
    # An institution's people are added from the people step with a role; without one the page does not exist.
    "kyc:person_add": {"GET": owner(NOT_FOUND), "POST": owner(NOT_FOUND)},
    "kyc:person_edit": {"GET": owner(), "POST": owner(ALLOWED)},
    "kyc:person_delete": {"GET": owner(), "POST": owner(ALLOWED)},  # GET: the confirmation page
    "kyc:document_delete": {"GET": owner(), "POST": owner(ALLOWED)},  # GET: the confirmation page
    "kyc:wallet_prove": {"GET": owner(), "POST": owner(ALLOWED)},
    "kyc:wallet_delete": {"GET": owner(), "POST": owner(ALLOWED)},  # GET: the confirmation page
    "kyc:submit": {"GET": post_only(), "POST": owner(ALLOWED)},
    "kyc:resubmit": {"GET": post_only(), "POST": owner(ALLOWED)},
    "kyc:renew": {"GET": post_only(), "POST": owner(ALLOWED)},
    # A document: its organisation's members, and staff who may view cases.
    # Identity verification: the applicant's page and the SDK's token refresh (503 without a provider: none is
    # configured in the test settings); the link page for a person without an account takes a signed token.
    "kyc:identity": {"GET": owner()},
    "kyc:identity_token": {"GET": owner("503")},
    "kyc:identity_link": {"GET": public(NOT_FOUND)},
    "kyc:identity_link_token": {"GET": public(NOT_FOUND)},
    "kyc:document": {"GET": owner(**dict.fromkeys((REVIEWER, APPROVER, AUDITOR), OK))},
    # kyc: compliance review (applicants are told the staff pages do not exist)
    "kyc:queue": {"GET": staff(A.CASE_VIEW, others=NOT_FOUND)},
    "kyc:case": {"GET": staff(A.CASE_VIEW, others=NOT_FOUND)},
    "kyc:case_action": {
        "GET": post_only(anon=NOT_ALLOWED),
        # Acting on a case needs the review capability at the door: the read-only auditor is told it is not there.
        "POST": staff(A.CASE_REVIEW, ok=ALLOWED, others=NOT_FOUND),
    },
    "kyc:notifications": {"GET": staff(A.STAFF_AREA, others=NOT_FOUND)},
    # The integrity check: approvers, auditors and the board read it and may queue a run.
    "assurance:overview": {"GET": staff(A.ASSURANCE_VIEW, others=NOT_FOUND)},
    "assurance:verification": {"GET": staff(A.ASSURANCE_VIEW, others=NOT_FOUND)},
    "assurance:run": {
        "GET": post_only(anon=NOT_ALLOWED),
        "POST": staff(A.ASSURANCE_VIEW, ok=ALLOWED, others=NOT_FOUND),
    },
    "kyc:notifications_read": {
        "GET": post_only(anon=NOT_ALLOWED),
        "POST": staff(A.STAFF_AREA, ok=ALLOWED, others=NOT_FOUND),
    },
    # Risk rules and country lists: case viewers read them, a senior officer (approver) changes them.
    "kyc:country_risk": {
        "GET": staff(A.CASE_VIEW, others=NOT_FOUND),
        "POST": staff(A.CASE_APPROVE, ok=ALLOWED, others=NOT_FOUND),
    },
    "kyc:risk_rules": {
        "GET": staff(A.CASE_VIEW, others=NOT_FOUND),
        "POST": staff(A.CASE_APPROVE, ok=ALLOWED, others=NOT_FOUND),
    },
    # Screening: the provider's webhook is public and checks its signature; a re-run is a reviewer's action.
    "kyc_screening:sumsub_webhook": {"GET": public(NOT_ALLOWED), "POST": public("401")},
    "kyc_screening:rerun": {
        "GET": post_only(anon=NOT_ALLOWED),
        "POST": staff(A.CASE_REVIEW, ok=ALLOWED, others=NOT_FOUND),
    },
    "screening_staff_lists": {"GET": staff(A.CASE_VIEW)},
    # whitelist: viewers see, the whitelist admin acts, the board approves batches
    "whitelist_overview": {"GET": staff(A.WHITELIST_VIEW)},
    "whitelist_changes": {"GET": staff(A.WHITELIST_VIEW)},
    "whitelist_progress": {"GET": staff(A.WHITELIST_VIEW)},
    "whitelist_push": {"GET": post_only(anon=NOT_ALLOWED), "POST": staff(A.WHITELIST_MANAGE, ok=ALLOWED)},
    "whitelist_dry_run": {"GET": staff(A.WHITELIST_MANAGE), "POST": staff(A.WHITELIST_MANAGE, ok=ALLOWED)},
    "whitelist_drift": {
        "GET": staff(A.WHITELIST_VIEW),
        "POST": staff(A.WHITELIST_VIEW, **{BOARD: NOT_FOUND, AUDITOR: NOT_FOUND, WHITELIST_ADMIN: ALLOWED}),
    },
    "whitelist_drift_heal": {
        "GET": post_only(anon=NOT_ALLOWED),
        "POST": staff(A.WHITELIST_MANAGE, ok=ALLOWED, others=NOT_FOUND),
    },
    "whitelist_batch": {"GET": staff(A.WHITELIST_VIEW, others=NOT_FOUND)},
    "whitelist_batch_approve": {
        "GET": post_only(anon=NOT_ALLOWED),
        "POST": staff(A.WHITELIST_BOARD_APPROVE, ok=ALLOWED, others=NOT_FOUND),
    },
    "whitelist_batch_cancel": {
        "GET": post_only(anon=NOT_ALLOWED),
        "POST": staff(A.WHITELIST_MANAGE, ok=ALLOWED, others=NOT_FOUND),
    },
    # The Safe Transaction Builder file of a Safe-mode batch: for the whitelist admin who proposes it.
    "whitelist_batch_safe": {"GET": staff(A.WHITELIST_MANAGE, others=NOT_FOUND)},
    "whitelist_address_search": {"GET": staff(A.WHITELIST_VIEW, ok=REDIRECT)},
    "whitelist_address": {"GET": staff(A.WHITELIST_VIEW, others=NOT_FOUND)},
    # operators: the applicant's side
    # Staff vet operators in the staff area; like applications, they cannot register one.
    "operators_list": {"GET": signed_in(**dict.fromkeys(STAFF, NOT_FOUND))},
    "operators_create": {
        "GET": signed_in(**dict.fromkeys(STAFF, NOT_FOUND)),
        "POST": signed_in(ALLOWED, **dict.fromkeys(STAFF, NOT_FOUND)),
    },
    "operators_diversity": {"GET": public()},
    "operators_detail": {"GET": owner()},
    "operators_edit": {"GET": owner(), "POST": owner(ALLOWED)},
    "operators_submit": {"GET": post_only(), "POST": owner(ALLOWED)},
    "operators_link": {"GET": post_only(), "POST": owner(ALLOWED)},
    "operators_address_add": {"GET": post_only(), "POST": owner(ALLOWED)},
    # The operator proves control of a declared address: its message page, then the pasted signature.
    "operators_address_prove": {"GET": owner(), "POST": owner()},
    "operators_cluster_add": {"GET": post_only(), "POST": owner(ALLOWED)},
    "operators_node_create": {"GET": owner(), "POST": owner(ALLOWED)},
    "operators_node_edit": {"GET": owner(), "POST": owner(ALLOWED)},
    "operators_node_delete": {"GET": post_only(), "POST": owner(ALLOWED)},
    "operators_node_assign": {"GET": post_only(), "POST": owner(ALLOWED)},
    "operators_deposit_data": {"GET": owner(), "POST": owner(ALLOWED)},
    "operators_exit": {"GET": post_only(), "POST": owner(ALLOWED)},
    "operators_rewards": {"GET": owner(**{REVIEWER: OK, APPROVER: OK})},
    # operators: staff review
    "operators_staff_list": {"GET": staff(A.OPERATOR_REVIEW)},
    "operators_staff_allocation": {"GET": staff(A.OPERATOR_REVIEW)},
    "operators_staff_detail": {"GET": staff(A.OPERATOR_REVIEW)},
    **{
        name: {
            "GET": staff(A.OPERATOR_REVIEW, ok=NOT_ALLOWED),
            "POST": staff(A.OPERATOR_REVIEW, ok=ALLOWED),
        }
        for name in (
            "operators_staff_transition",
            "operators_staff_checklist",
            "operators_staff_exit",
            "operators_staff_cap",
            "operators_staff_adjustment",
        )
    },
    # reporting: dashboards for report viewers; the CSV exports hold case data, so case viewers
    "reporting:dashboard": {"GET": staff(A.REPORT_VIEW)},
    "reporting:export_queue": {"GET": staff(A.CASE_VIEW)},
    "reporting:export_decisions": {"GET": staff(A.CASE_VIEW)},
    # integrations: an organisation's outgoing webhooks, managed by its members
    "integrations:endpoints": {"GET": signed_in(**dict.fromkeys(STAFF, FORBIDDEN))},
    "integrations:endpoint_new": {
        "GET": signed_in(**dict.fromkeys(STAFF, FORBIDDEN)),
        "POST": signed_in(ALLOWED, **dict.fromkeys(STAFF, FORBIDDEN)),
    },
    "integrations:endpoint": {"GET": owner(), "POST": owner(ALLOWED)},
    "integrations:endpoint_action": {"GET": every(NOT_ALLOWED, **{NO_MFA: MFA}), "POST": owner(ALLOWED)},
    # privacy: retention and legal holds for staff; everyone exports their own data
    "privacy:retention": {"GET": staff(A.AUDIT_VIEW)},
    "privacy:hold_set": {"GET": staff(A.CASE_APPROVE, ok=NOT_ALLOWED), "POST": staff(A.CASE_APPROVE, ok=ALLOWED)},
    "privacy:hold_clear": {
        "GET": staff(A.CASE_APPROVE, ok=NOT_ALLOWED),
        "POST": staff(A.CASE_APPROVE, ok=ALLOWED),
    },
    "privacy:staff_export": {
        "GET": staff(A.CASE_APPROVE, ok=NOT_ALLOWED),
        "POST": staff(A.CASE_APPROVE, ok=ALLOWED),
    },
    "privacy:my_data": {"GET": signed_in(), "POST": signed_in(ALLOWED)},
    # An archive is for whoever asked for it (here organisation A's owner); everyone else is told it does not exist.
    "privacy:export_download": {"GET": owner()},
    # The API's schema and its documentation page: public (they hold no data).
    "api:schema": {"GET": public()},
    "api:docs": {"GET": public()},
}

# allauth: sign-in, sign-up and password reset are public; account and MFA pages need a signed-in user. A
# signed-in user is sent away from the sign-in and sign-up pages; a staff member without MFA reaches every page
# under /accounts/ (that is where TOTP is set up).
_SIGNED_OUT_ONLY = every(REDIRECT, **{ANON: OK})
_ACCOUNT = every(OK, **{ANON: LOGIN})
_HAS_TOTP = every(REDIRECT, **{ANON: LOGIN, OWNER: NOT_FOUND, OUTSIDER: NOT_FOUND, NO_MFA: NOT_FOUND})
PAGES.update(
    {
        "account_login": {"GET": _SIGNED_OUT_ONLY, "POST": _SIGNED_OUT_ONLY},
        "account_signup": {"GET": _SIGNED_OUT_ONLY, "POST": _SIGNED_OUT_ONLY},
        "account_logout": {"GET": every(OK, **{ANON: REDIRECT}), "POST": every(REDIRECT)},
        "account_inactive": {"GET": every(OK)},
        "account_reauthenticate": {"GET": _ACCOUNT, "POST": _ACCOUNT},
        "account_email": {"GET": _ACCOUNT, "POST": every(REDIRECT, **{ANON: LOGIN})},
        "account_email_verification_sent": {"GET": every(OK)},
        "account_change_password": {"GET": _ACCOUNT, "POST": _ACCOUNT},
        # Every persona has a password, so "set password" sends them to "change password".
        "account_set_password": {"GET": every(REDIRECT, **{ANON: LOGIN})},
        "account_reset_password": {"GET": every(OK), "POST": every(OK)},
        "account_reset_password_done": {"GET": every(OK)},
        "account_reset_password_from_key": {"GET": every(OK), "POST": every(OK)},
        "account_reset_password_from_key_done": {"GET": every(OK)},
        # A wrong key: allauth's "invalid link" page; it answers POST with a 404.
        "account_confirm_email": {"GET": every(OK), "POST": every(NOT_FOUND)},
        # Login by e-mailed code is off: nothing to confirm.
        "account_confirm_login_code": {"GET": every(REDIRECT, **{ANON: LOGIN})},
        "mfa_index": {"GET": _ACCOUNT},
        # The second step of a login in progress: without one, signed-in users are sent on.
        "mfa_authenticate": {"GET": every(REDIRECT, **{ANON: LOGIN})},
        "mfa_reauthenticate": {
            "GET": every(OK, **{ANON: LOGIN, OWNER: REDIRECT, OUTSIDER: REDIRECT, NO_MFA: REDIRECT})
        },
        # Staff with TOTP already have it (sent on); applicants and the staff member without MFA get the set-up.
        "mfa_activate_totp": {"GET": every(REDIRECT, **{ANON: LOGIN})},
        "mfa_deactivate_totp": {"GET": _HAS_TOTP, "POST": _HAS_TOTP},
        "mfa_view_recovery_codes": {"GET": _HAS_TOTP},
        "mfa_generate_recovery_codes": {"GET": every(REDIRECT, **{ANON: LOGIN})},
        "mfa_download_recovery_codes": {"GET": _HAS_TOTP},
    }
)

# Pattern-level rule for the Django admin: no persona is an admin-site user (`is_staff`), so every admin URL
# sends them to sign in (the admin login forwards to the portal's, with MFA); the staff member without MFA is held
# at the MFA set-up; a signed-in non-admin who opens the admin login itself gets a 403.
ADMIN_PREFIX = "admin/"
ADMIN_RULE: Row = every(LOGIN, **{NO_MFA: MFA})
ADMIN_EXCEPTIONS: dict[str, Row] = {
    "admin:login": every(FORBIDDEN, **{ANON: LOGIN, NO_MFA: MFA}),
    "admin:logout": every(REDIRECT, **{NO_MFA: MFA}),
}
# Personas the admin rule is checked for on every admin URL (all of them on admin:index and the exceptions).
ADMIN_PERSONAS = (ANON, OWNER, APPROVER, NO_MFA)

# API operations, by OpenAPI path and method ------------------------------------------------------------------
_APP = "/api/v1/applications/{public_id}/"
_OP = "/api/v1/operators/{public_id}/"
_KEYS = "/api/v1/organisations/{public_id}/api-keys/"
_STAFF_NO_APPLICATIONS = dict.fromkeys(STAFF, NOT_FOUND)

OPERATIONS: dict[tuple[str, str], Row] = {
    ("/api/v1/me/", "GET"): api(signed_in()),
    ("/api/v1/organisations/", "GET"): api(signed_in()),
    # Anyone signed in may register an organisation; the probe's empty body is refused (staff are refused too).
    ("/api/v1/organisations/", "POST"): api(signed_in(BAD_REQUEST)),
    ("/api/v1/audit-events/", "GET"): api(staff(A.AUDIT_VIEW)),
    (_KEYS, "GET"): api(owner()),
    (_KEYS, "POST"): api(owner(BAD_REQUEST)),
    (_KEYS + "{key_id}/rotate/", "POST"): api(owner(ALLOWED)),
    (_KEYS + "{key_id}/revoke/", "POST"): api(owner(ALLOWED)),
    ("/api/v1/applications/", "GET"): api(signed_in(**_STAFF_NO_APPLICATIONS)),
    ("/api/v1/applications/", "POST"): api(signed_in(BAD_REQUEST, **_STAFF_NO_APPLICATIONS)),
    (_APP, "GET"): api(owner()),
    (_APP + "details/", "PATCH"): api(owner(ALLOWED)),
    (_APP + "profile/", "PUT"): api(owner(ALLOWED)),
    (_APP + "company/", "PATCH"): api(owner(ALLOWED)),
    (_APP + "people/", "GET"): api(owner()),
    (_APP + "people/", "POST"): api(owner(BAD_REQUEST)),
    (_APP + "people/{person_id}/", "GET"): api(owner()),
    (_APP + "people/{person_id}/", "PATCH"): api(owner(ALLOWED)),
    (_APP + "people/{person_id}/", "DELETE"): api(owner(ALLOWED)),
    (_APP + "documents/", "GET"): api(owner()),
    (_APP + "documents/", "POST"): api(owner(BAD_REQUEST)),
    (_APP + "documents/{document_id}/", "GET"): api(owner()),
    (_APP + "documents/{document_id}/", "DELETE"): api(owner(ALLOWED)),
    (_APP + "wallets/", "GET"): api(owner()),
    (_APP + "wallets/", "POST"): api(owner(BAD_REQUEST)),
    (_APP + "wallets/{wallet_id}/", "GET"): api(owner()),
    (_APP + "wallets/{wallet_id}/", "DELETE"): api(owner(ALLOWED)),
    (_APP + "wallets/{wallet_id}/challenge/", "POST"): api(owner(ALLOWED)),
    (_APP + "wallets/{wallet_id}/proof/", "POST"): api(owner(BAD_REQUEST)),
    (_APP + "submit/", "POST"): api(owner(ALLOWED)),
    (_APP + "timeline/", "GET"): api(owner()),
    ("/api/v1/review/queue/", "GET"): api(staff(A.CASE_VIEW)),
    # Decisions: the review capability at the door (the auditor reads, never acts); the service refuses the rest.
    ("/api/v1/review/cases/{public_id}/claim/", "POST"): api(staff(A.CASE_REVIEW, ok=ALLOWED)),
    ("/api/v1/review/cases/{public_id}/approve/", "POST"): api(staff(A.CASE_REVIEW, ok=BAD_REQUEST)),
    ("/api/v1/review/cases/{public_id}/reject/", "POST"): api(staff(A.CASE_REVIEW, ok=BAD_REQUEST)),
    # Public: the whitelist lookup and the operator-diversity figures.
    ("/api/v1/whitelist/{address}", "GET"): public(),
    ("/api/v1/operators/diversity/", "GET"): public(),
    ("/api/v1/operators/", "GET"): api(signed_in(**_STAFF_NO_APPLICATIONS)),
    ("/api/v1/operators/", "POST"): api(signed_in(BAD_REQUEST, **_STAFF_NO_APPLICATIONS)),
    ("/api/v1/operators/allocation/", "GET"): api(staff(A.OPERATOR_REVIEW, ok=ALLOWED)),
    (_OP, "GET"): api(owner(**{REVIEWER: OK, APPROVER: OK})),
    (_OP, "PATCH"): api(owner(ALLOWED)),
    (_OP + "addresses/", "GET"): api(owner(**{REVIEWER: OK, APPROVER: OK})),
    (_OP + "addresses/", "POST"): api(owner(BAD_REQUEST)),
    (_OP + "application/", "POST"): api(owner(BAD_REQUEST)),
    (_OP + "deposit-data/", "POST"): api(owner(BAD_REQUEST)),
    (_OP + "nodes/", "GET"): api(owner(**{REVIEWER: OK, APPROVER: OK})),
    (_OP + "rewards/", "GET"): api(owner(ALLOWED, **{REVIEWER: ALLOWED, APPROVER: ALLOWED})),
    (_OP + "status/", "GET"): api(owner(**{REVIEWER: OK, APPROVER: OK})),
    (_OP + "submit/", "POST"): api(owner(ALLOWED)),
}

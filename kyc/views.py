"""Browser views of the onboarding wizard. Thin: forms validate, services decide, selectors scope."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import Membership, User
from accounts.permissions import user_is_staff_member
from core.exceptions import ApplicationError
from kyc import forms, selectors, services
from kyc.editing import SECTION_LABELS, editable_sections
from kyc.models import Application, Document, Person, SubjectType
from kyc.renewal import application_renew as renewal_start
from kyc.renewal import open_renewal
from kyc.validation import max_document_bytes
from kyc.wizard import progress, steps_for
from screening.identity import identity_provider_name

_COMPANY_DOC_KINDS = [
    Document.Kind.CERTIFICATE_OF_INCORPORATION,
    Document.Kind.REGISTER_OF_DIRECTORS,
    Document.Kind.SHAREHOLDER_REGISTER,
    Document.Kind.ARTICLES,
    Document.Kind.ID_FRONT,
    Document.Kind.ID_BACK,
    Document.Kind.PROOF_OF_ADDRESS,
    Document.Kind.OTHER,
]
_INDIVIDUAL_DOC_KINDS = [
    Document.Kind.ID_FRONT,
    Document.Kind.ID_BACK,
    Document.Kind.PROOF_OF_ADDRESS,
    Document.Kind.OTHER,
]


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def _applicant_only(request: HttpRequest) -> None:
    # Staff never work on applications from the applicant side (they see cases in the staff area).
    if user_is_staff_member(request.user):
        raise Http404("Staff accounts have no applications.")


def _get(request: HttpRequest, public_id: Any) -> Application:
    _applicant_only(request)
    return selectors.application_get_for_user(user=request.user, public_id=public_id)


def _apply_error(form: Any, exc: ApplicationError) -> None:
    field = exc.extra.get("field")
    if isinstance(field, str) and field in form.fields:
        form.add_error(field, exc.message)
    else:
        form.add_error(None, exc.message)


def _wizard_context(application: Application, step: str, **extra: Any) -> dict[str, Any]:
    prog = progress(application)
    editable = editable_sections(application)
    return {
        "application": application,
        "step": step,
        "progress": prog,
        "steps": steps_for(application),
        "editable": step in editable,
        "read_only_reason": ""
        if step in editable or step == "review"
        else f"This section is read-only: the application is {application.get_status_display().lower()}.",
        "information_request": selectors.information_request_current(application=application),
        **extra,
    }


@login_required
def application_list(request: HttpRequest) -> HttpResponse:
    _applicant_only(request)
    applications = selectors.application_list_for_user(user=request.user)
    memberships = Membership.objects.filter(user=_user(request)).select_related("organisation")
    return render(request, "kyc/application_list.html", {"applications": applications, "memberships": memberships})


@login_required
@require_http_methods(["GET", "POST"])
def application_new(request: HttpRequest) -> HttpResponse:
    _applicant_only(request)
    initial: dict[str, Any] = {}
    if request.GET.get("type") in SubjectType.values:
        initial["subject_type"] = request.GET["type"]
    if request.GET.get("organisation"):
        initial["organisation"] = request.GET["organisation"]
    form = forms.NewApplicationForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            application = services.application_create(
                by=_user(request),
                subject_type=form.cleaned_data["subject_type"],
                organisation=form.cleaned_data["organisation"],
                operator_category=form.cleaned_data["operator_category"],
                new_organisation=form.new_organisation(),
            )
        except ApplicationError as exc:
            _apply_error(form, exc)
        else:
            messages.success(request, f"Application {application.reference} started. It is saved as you go.")
            return redirect("kyc:step", public_id=application.public_id, step="details")
    return render(request, "kyc/application_new.html", {"form": form})


@login_required
def application_resume(request: HttpRequest, public_id: Any) -> HttpResponse:
    application = _get(request, public_id)
    if application.status != Application.Status.DRAFT and not editable_sections(application):
        return redirect("kyc:status", public_id=application.public_id)
    return redirect("kyc:step", public_id=application.public_id, step=progress(application).resume_step)


@login_required
@require_http_methods(["GET", "POST"])
def application_step(request: HttpRequest, public_id: Any, step: str) -> HttpResponse:
    application = _get(request, public_id)
    if step not in {s.key for s in steps_for(application)}:
        raise Http404("No such step.")
    handler = _STEP_HANDLERS[step]
    return handler(request, application)


def _next_step(application: Application, step: str) -> str:
    keys = [s.key for s in steps_for(application)]
    return keys[min(keys.index(step) + 1, len(keys) - 1)]


def _saved(request: HttpRequest, application: Application, step: str) -> HttpResponse:
    if "save_draft" in request.POST:
        messages.success(request, "Draft saved. You can come back to it at any time.")
        return redirect("kyc:step", public_id=application.public_id, step=step)
    return redirect("kyc:step", public_id=application.public_id, step=_next_step(application, step))


def _step_details(request: HttpRequest, application: Application) -> HttpResponse:
    initial = {
        "operator_category": application.operator_category,
        "expected_volume_eth": application.expected_volume_eth,
        "source_of_funds": application.source_of_funds,
    }
    form = forms.DetailsForm(request.POST or None, initial=initial, is_operator=application.is_operator)
    if request.method == "POST" and form.is_valid():
        try:
            services.application_details_update(application=application, by=_user(request), data=form.cleaned_data)
        except ApplicationError as exc:
            _apply_error(form, exc)
        else:
            return _saved(request, application, "details")
    return render(request, "kyc/step_form.html", _wizard_context(application, "details", form=form))


def _person_initial(person: Person | None) -> dict[str, Any]:
    if person is None:
        return {}
    return {name: getattr(person, name) for name in services.PERSON_FIELDS}


def _step_profile(request: HttpRequest, application: Application) -> HttpResponse:
    subject = application.people.filter(role=Person.Role.SUBJECT).first()
    form = forms.PersonForm(request.POST or None, initial=_person_initial(subject), role=Person.Role.SUBJECT)
    if request.method == "POST" and form.is_valid():
        try:
            services.application_profile_update(application=application, by=_user(request), data=form.cleaned_data)
        except ApplicationError as exc:
            _apply_error(form, exc)
        else:
            return _saved(request, application, "profile")
    return render(request, "kyc/step_form.html", _wizard_context(application, "profile", form=form))


def _step_company(request: HttpRequest, application: Application) -> HttpResponse:
    company = application.company
    initial = {name: getattr(company, name) for name in services.COMPANY_FIELDS}
    form = forms.CompanyForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.company_profile_update(application=application, by=_user(request), data=form.cleaned_data)
        except ApplicationError as exc:
            _apply_error(form, exc)
        else:
            return _saved(request, application, "company")
    return render(request, "kyc/step_form.html", _wizard_context(application, "company", form=form))


def _step_people(request: HttpRequest, application: Application) -> HttpResponse:
    if request.method == "POST" and "ubo_declaration" in request.POST:
        try:
            services.company_ubo_declaration_set(
                application=application, by=_user(request), declared=request.POST.get("no_ubo_declared") == "on"
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "Ownership declaration saved.")
        return redirect("kyc:step", public_id=application.public_id, step="people")
    if request.method == "POST":
        return redirect("kyc:step", public_id=application.public_id, step="documents")
    people = list(application.people.exclude(role=Person.Role.SUBJECT))
    groups = [
        (Person.Role.DIRECTOR, "Directors", [p for p in people if p.role == Person.Role.DIRECTOR]),
        (
            Person.Role.UBO,
            "Ultimate beneficial owners (25 % or more)",
            [p for p in people if p.role == Person.Role.UBO],
        ),
        (Person.Role.SIGNATORY, "Authorised signatories", [p for p in people if p.role == Person.Role.SIGNATORY]),
    ]
    if application.company.no_ubo_declared or any(p.role == Person.Role.SENIOR_MANAGER for p in people):
        groups.append(
            (
                Person.Role.SENIOR_MANAGER,
                "Senior managing official",
                [p for p in people if p.role == Person.Role.SENIOR_MANAGER],
            )
        )
    ubo_total = sum((p.ownership_percent or 0) for p in people if p.role == Person.Role.UBO)
    return render(
        request,
        "kyc/step_people.html",
        _wizard_context(
            application,
            "people",
            groups=groups,
            ubo_total=ubo_total,
            no_ubo_declared=application.company.no_ubo_declared,
        ),
    )


def _step_documents(request: HttpRequest, application: Application) -> HttpResponse:
    people = list(application.people.exclude(role=Person.Role.SUBJECT)) if application.is_company else []
    kinds = _COMPANY_DOC_KINDS if application.is_company else _INDIVIDUAL_DOC_KINDS
    choices = [(k.value, k.label) for k in kinds]
    form = forms.DocumentForm(request.POST or None, request.FILES or None, people=people, kinds=choices)
    if request.method == "POST" and "continue" in request.POST:
        return redirect("kyc:step", public_id=application.public_id, step="wallets")
    if request.method == "POST" and form.is_valid():
        person = form.people.get(form.cleaned_data.get("person") or "")
        try:
            document = services.document_upload(
                application=application,
                by=_user(request),
                kind=form.cleaned_data["kind"],
                upload=form.cleaned_data["file"],
                person=person,
            )
        except ApplicationError as exc:
            _apply_error(form, exc)
        else:
            messages.success(request, f"{document.get_kind_display()} uploaded ({document.original_name}).")
            same = application.documents.filter(sha256=document.sha256).exclude(pk=document.pk).first()
            if same is not None:
                messages.warning(
                    request,
                    f"This file is identical to the {same.get_kind_display().lower()} already uploaded "
                    f"({same.original_name}). If that was a mistake, remove it and upload the right document.",
                )
            return redirect("kyc:step", public_id=application.public_id, step="documents")
    documents = application.documents.select_related("person", "uploaded_by")
    return render(
        request,
        "kyc/step_documents.html",
        _wizard_context(
            application,
            "documents",
            form=form,
            documents=documents,
            max_mb=max_document_bytes() // 1_048_576,
            document_flags=selectors.application_document_flags(application=application, documents=list(documents)),
            required_documents=selectors.required_documents_checklist(application=application),
        ),
    )


def _step_wallets(request: HttpRequest, application: Application) -> HttpResponse:
    form = forms.WalletForm(request.POST or None, is_operator=application.is_operator)
    if request.method == "POST" and "continue" in request.POST:
        return redirect("kyc:step", public_id=application.public_id, step="review")
    if request.method == "POST" and form.is_valid():
        try:
            wallet = services.wallet_add(application=application, by=_user(request), **form.cleaned_data)
        except ApplicationError as exc:
            _apply_error(form, exc)
        else:
            messages.success(request, f"{wallet.label} added. Now prove that you control it.")
            return redirect("kyc:step", public_id=application.public_id, step="wallets")
    return render(
        request,
        "kyc/step_wallets.html",
        _wizard_context(application, "wallets", form=form, wallets=list(application.wallets.all())),
    )


def _step_review(request: HttpRequest, application: Application) -> HttpResponse:
    context = _wizard_context(application, "review", **_summary(application))
    return render(request, "kyc/step_review.html", context)


def _summary(application: Application) -> dict[str, Any]:
    people = list(application.people.all())
    return {
        "subject": next((p for p in people if p.role == Person.Role.SUBJECT), None),
        "directors": [p for p in people if p.role == Person.Role.DIRECTOR],
        "ubos": [p for p in people if p.role == Person.Role.UBO],
        "signatories": [p for p in people if p.role == Person.Role.SIGNATORY],
        "senior_managers": [p for p in people if p.role == Person.Role.SENIOR_MANAGER],
        "company": application.company if application.is_company else None,
        "documents": list(application.documents.select_related("person")),
        "wallets": _wallets_with_chain(application),
        "document_flags": selectors.application_document_flags(application=application),
    }


def _wallets_with_chain(application: Application) -> list[Any]:
    wallets = list(application.wallets.all())
    states = selectors.wallet_chain_states(application=application, wallets=wallets)
    for wallet in wallets:
        wallet.chain = states.get(wallet.pk)  # type: ignore[attr-defined]
    return wallets


_STEP_HANDLERS = {
    "details": _step_details,
    "profile": _step_profile,
    "company": _step_company,
    "people": _step_people,
    "documents": _step_documents,
    "wallets": _step_wallets,
    "review": _step_review,
}


@login_required
@require_http_methods(["GET", "POST"])
def person_edit(request: HttpRequest, public_id: Any, person_id: Any = None) -> HttpResponse:
    application = _get(request, public_id)
    if not application.is_company:
        raise Http404("Individual applications have no directors or owners.")
    person = selectors.person_get(application=application, public_id=person_id) if person_id else None
    role = person.role if person else request.GET.get("role", request.POST.get("role", ""))
    if role not in services.COMPANY_PERSON_ROLES:
        raise Http404("Choose director, ubo, signatory or senior_manager.")
    form = forms.PersonForm(request.POST or None, initial=_person_initial(person), role=role)
    if request.method == "POST" and form.is_valid():
        try:
            if person is None:
                person = services.person_add(
                    application=application, by=_user(request), role=role, data=form.cleaned_data
                )
            else:
                services.person_update(person=person, by=_user(request), data=form.cleaned_data)
        except ApplicationError as exc:
            _apply_error(form, exc)
        else:
            messages.success(request, f"{person.legal_name} saved as {person.get_role_display().lower()}.")
            return redirect("kyc:step", public_id=application.public_id, step="people")
    context = _wizard_context(
        application, "people", form=form, person=person, role=role, role_label=Person.Role(role).label
    )
    return render(request, "kyc/person_form.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def person_delete(request: HttpRequest, public_id: Any, person_id: Any) -> HttpResponse:
    application = _get(request, public_id)
    person = selectors.person_get(application=application, public_id=person_id)
    if request.method == "GET":
        return _confirm_removal(request, application, step="people", what=person.legal_name, obj=person)
    try:
        services.person_remove(person=person, by=_user(request))
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{person.legal_name} removed.")
    return redirect("kyc:step", public_id=application.public_id, step="people")


@login_required
@require_http_methods(["GET", "POST"])
def document_delete(request: HttpRequest, public_id: Any, document_id: Any) -> HttpResponse:
    application = _get(request, public_id)
    document = selectors.document_get(application=application, public_id=document_id)
    if request.method == "GET":
        return _confirm_removal(request, application, step="documents", what=document.original_name, obj=document)
    try:
        services.document_remove(document=document, by=_user(request))
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{document.original_name} removed.")
    return redirect("kyc:step", public_id=application.public_id, step="documents")


def _confirm_removal(request: HttpRequest, application: Application, *, step: str, what: str, obj: Any) -> HttpResponse:
    """Removal asks first: the Remove links lead here and only this page's form deletes (no inline script; the
    content security policy forbids it)."""
    detail = ""
    if isinstance(obj, Document):
        detail = obj.get_kind_display() + (f" of {obj.person.legal_name}" if obj.person else "")
    elif isinstance(obj, Person):
        detail = obj.get_role_display()
    else:
        detail = getattr(obj, "address", "")
    return render(
        request,
        "kyc/confirm_remove.html",
        _wizard_context(application, step, what=what, detail=detail, back_step=step),
    )


@login_required
@xframe_options_sameorigin
def document_download(request: HttpRequest, document_id: Any) -> HttpResponseBase:
    """The only way to read a document: members of the application's organisation (or the individual
    applicant) and staff with CASE_VIEW. Everyone else gets a 404."""
    document = selectors.document_get_for_viewer(user=request.user, public_id=document_id)
    handle = document.file.open("rb")
    inline = request.GET.get("inline") == "1"
    response = FileResponse(
        handle, content_type=document.content_type, as_attachment=not inline, filename=document.original_name
    )
    # Uploaded files are never trusted to run anything in the portal's origin. Images are sandboxed outright;
    # a PDF is left to the browser's own viewer (a sandboxed document cannot open it). Framing is allowed from
    # the portal itself only, so the case page can preview a document inline.
    policy = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'self'"
    if document.content_type != "application/pdf":
        policy += "; sandbox"
    response["Content-Security-Policy"] = policy
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def wallet_delete(request: HttpRequest, public_id: Any, wallet_id: Any) -> HttpResponse:
    application = _get(request, public_id)
    wallet = selectors.wallet_get(application=application, public_id=wallet_id)
    if request.method == "GET":
        return _confirm_removal(request, application, step="wallets", what=wallet.label, obj=wallet)
    try:
        services.wallet_remove(wallet=wallet, by=_user(request))
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{wallet.label} removed.")
    return redirect("kyc:step", public_id=application.public_id, step="wallets")


@login_required
@require_http_methods(["GET", "POST"])
def wallet_prove(request: HttpRequest, public_id: Any, wallet_id: Any) -> HttpResponse:
    """Proof for wallets that cannot connect to the browser: show the message, accept a pasted signature."""
    application = _get(request, public_id)
    wallet = selectors.wallet_get(application=application, public_id=wallet_id)
    form = forms.PastedProofForm(request.POST or None)
    challenge = None
    if request.method == "POST" and form.is_valid():
        try:
            services.wallet_proof_verify(
                wallet=wallet,
                by=_user(request),
                message=form.cleaned_data["message"],
                signature=form.cleaned_data["signature"],
                pasted=True,
            )
        except ApplicationError as exc:
            _apply_error(form, exc)
        else:
            messages.success(request, f"Ownership of {wallet.address} proven.")
            return redirect("kyc:step", public_id=application.public_id, step="wallets")
    if not form.is_bound or not form.errors:
        try:
            challenge = services.wallet_challenge_issue(
                wallet=wallet, by=_user(request), domain=request.get_host(), uri=request.build_absolute_uri("/")
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
            return redirect("kyc:step", public_id=application.public_id, step="wallets")
        form = forms.PastedProofForm(initial={"message": challenge.message})
    message = form["message"].value()
    return render(
        request,
        "kyc/wallet_prove.html",
        _wizard_context(application, "wallets", form=form, wallet=wallet, message=message),
    )


@login_required
@require_POST
def application_submit(request: HttpRequest, public_id: Any) -> HttpResponse:
    application = _get(request, public_id)
    try:
        services.application_submit(application=application, by=_user(request))
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("kyc:step", public_id=application.public_id, step="review")
    messages.success(
        request, f"Application {application.reference} submitted. You can follow its progress on this page."
    )
    return redirect("kyc:status", public_id=application.public_id)


@login_required
@require_POST
def application_resubmit(request: HttpRequest, public_id: Any) -> HttpResponse:
    from kyc.review import case_resubmit

    application = _get(request, public_id)
    asked = selectors.information_request_current(application=application)
    if asked is not None and not asked.has_changes:
        messages.error(
            request,
            "Nothing was changed yet: change at least one of the items the reviewer asked for "
            f"({', '.join(item.label for item in asked.items)}), then send the application back.",
        )
        return redirect("kyc:status", public_id=application.public_id)
    try:
        case_resubmit(application=application, by=_user(request))
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Application {application.reference} sent back to the reviewer.")
    return redirect("kyc:status", public_id=application.public_id)


@login_required
@require_POST
def application_renew(request: HttpRequest, public_id: Any) -> HttpResponse:
    """Start (or go back to) the renewal of an approved case: a draft pre-filled from it."""
    application = _get(request, public_id)
    try:
        renewal = renewal_start(application=application, by=_user(request))
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("kyc:status", public_id=application.public_id)
    messages.success(
        request,
        f"Renewal {renewal.reference} of {application.reference}: check each step, change what is no longer true, "
        "and submit it. Your approval and your wallets stay in place until the renewal is decided.",
    )
    return redirect("kyc:resume", public_id=renewal.public_id)


@login_required
def application_status(request: HttpRequest, public_id: Any) -> HttpResponse:
    application = _get(request, public_id)
    timeline = [
        {"event": event, "label": selectors.timeline_label(event)}
        for event in selectors.application_timeline(application=application)
    ]
    return render(
        request,
        "kyc/application_status.html",
        {
            "application": application,
            "timeline": timeline,
            "transitions": application.transitions.select_related("by"),
            "editable": sorted(SECTION_LABELS[s] for s in editable_sections(application)),
            "information_request": selectors.information_request_current(application=application),
            "resume_url": reverse("kyc:resume", kwargs={"public_id": application.public_id}),
            "renewal": open_renewal(application),
            "identity_provider": identity_provider_name(),
            **_summary(application),
        },
    )

"""Pages: thin views over forms, services and selectors."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from accounts.decorators import capability_required
from accounts.models import Organisation, User
from accounts.permissions import user_has_capability, user_is_staff_member
from accounts.roles import Capability
from core.exceptions import ApplicationError
from operators import checklist, forms, selectors, services, states
from operators.address_proof import (
    address_is_proven,
    operator_address_challenge_issue,
    operator_address_proof_verify,
    proven_application_wallets,
)
from operators.allocation import allocate
from operators.diversity import bar_chart_svg, line_chart_svg
from operators.models import BeaconImportRun, DueDiligenceItem, ExitRequest, Node, OperatorProfile, Validator


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def _operator(request: HttpRequest, public_id: Any) -> OperatorProfile:
    return selectors.operator_get_for_user(user=request.user, public_id=public_id)


def _works_on(request: HttpRequest, operator: OperatorProfile) -> bool:
    """Members of the operator's organisation (or the individual operator) act as the operator; staff do not."""
    if operator.user_id is not None:
        return operator.user_id == request.user.pk
    return operator.organisation is not None and operator.organisation.memberships.filter(user=_user(request)).exists()


def _own_operator(request: HttpRequest, public_id: Any) -> OperatorProfile:
    operator = _operator(request, public_id)
    if not _works_on(request, operator):
        raise Http404
    return operator


def _detail_context(request: HttpRequest, operator: OperatorProfile, *, staff: bool = False) -> dict[str, Any]:
    validators = operator.validators.select_related("cluster", "node").order_by("id")
    page = Paginator(validators, 50).get_page(request.GET.get("page"))
    scores = selectors.score_history(operator)
    items = list(operator.checklist.select_related("reviewed_by"))
    addresses = list(operator.addresses.all())
    problems = services.operator_submission_problems(operator=operator)
    proven = proven_application_wallets(operator)
    for row in addresses:
        row.proven = address_is_proven(row, proven)  # type: ignore[attr-defined]
    return {
        "operator": operator,
        "addresses": addresses,
        "submission_problems": problems,
        "problem_fields": {p["field"] for p in problems},
        "clusters": list(operator.clusters.prefetch_related("members")),
        "validators_page": page,
        "validator_count": page.paginator.count,
        "imports": list(operator.deposit_imports.all()[:10]),
        "checklist_items": [(i, checklist.LABELS.get(i.key, i.key)) for i in items],
        "status_changes": list(operator.status_changes.select_related("by")),
        "exits": list(operator.exits.select_related("validator").order_by("-created_at")[:50]),
        "bond": selectors.operator_bond(operator),
        "score": scores[-1] if scores else None,
        "score_chart": mark_safe(  # noqa: S308 - built from numbers and escaped labels in operators.diversity
            line_chart_svg([(f"{s.created_at:%d %b %H:%M}", s.score) for s in scores], title="Performance score")
        ),
        "editable": operator.status in states.OPERATOR_EDITABLE,
        "keys_accepted": operator.status in states.KEYS_ACCEPTED,
        "nodes_editable": operator.status in states.KEYS_ACCEPTED,
        "addresses_accepted": operator.status in services.ADDRESSES_ACCEPTED,
        "blockers": services.operator_approval_blockers(operator=operator, for_staff=staff),
        "nodes": selectors.operator_nodes(operator),
        "network": settings.OPERATORS_NETWORK,
        "address_form": forms.AddressForm(),
        "cluster_form": forms.ClusterForm(),
        "deposit_form": forms.DepositDataForm(),
        "exit_form": forms.ExitForm(),
    }


def _errors(form: Any) -> str:
    return "; ".join(f"{field}: {' '.join(str(e) for e in errs)}" for field, errs in form.errors.items())


def _apply(request: HttpRequest, action: Any, success: str) -> bool:
    try:
        action()
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return False
    messages.success(request, success)
    return True


# Applicant pages -------------------------------------------------------------------------------------------
def _applicant_only(request: HttpRequest) -> None:
    # As for applications: staff work on operators in the staff area, never register or run one themselves.
    if user_is_staff_member(request.user):
        raise Http404("Staff accounts have no node operators.")


@login_required
def operator_list(request: HttpRequest) -> HttpResponse:
    _applicant_only(request)
    return render(request, "operators/list.html", {"operators": selectors.operator_list_for_user(user=request.user)})


@login_required
def operator_create(request: HttpRequest) -> HttpResponse:
    _applicant_only(request)
    user = _user(request)
    organisations = list(Organisation.objects.filter(memberships__user=user).order_by("name"))
    form = forms.OperatorProfileForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        org_id = request.POST.get("owner", "")
        organisation = next((o for o in organisations if str(o.public_id) == org_id), None)
        if org_id and organisation is None:
            raise Http404
        try:
            operator = services.operator_create(by=user, organisation=organisation, fields=form.profile_fields())
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request, "Draft saved. Declare your addresses, link your KYC/KYB application, then submit."
            )
            return redirect("operators_detail", public_id=operator.public_id)
    return render(request, "operators/form.html", {"form": form, "organisations": organisations})


@login_required
def operator_detail(request: HttpRequest, public_id: Any) -> HttpResponse:
    operator = _own_operator(request, public_id)
    context = _detail_context(request, operator)
    context["operator_actions"] = states.next_states(operator.status, states.OPERATOR)
    context["link_form"] = _link_form(request, operator)
    return render(request, "operators/detail.html", context)


def _link_form(request: HttpRequest, operator: OperatorProfile, data: Any = None) -> forms.LinkApplicationForm:
    from kyc.models import Application, SubjectType

    if operator.organisation_id:
        apps = Application.objects.filter(organisation_id=operator.organisation_id)
    else:
        apps = Application.objects.filter(organisation__isnull=True, applicant_id=operator.user_id)
    apps = apps.filter(
        subject_type__in=[SubjectType.OPERATOR_COMPANY, SubjectType.OPERATOR_INDIVIDUAL, SubjectType.INSTITUTION]
    )
    choices = [
        (str(a.public_id), f"{a.reference} · {a.get_subject_type_display()} · {a.get_status_display()}") for a in apps
    ]
    return forms.LinkApplicationForm(data, choices=choices)


@login_required
def operator_edit(request: HttpRequest, public_id: Any) -> HttpResponse:
    operator = _own_operator(request, public_id)
    form = forms.OperatorProfileForm(request.POST or None, instance=OperatorProfile.objects.get(pk=operator.pk))
    if (
        request.method == "POST"
        and form.is_valid()
        and _apply(
            request,
            lambda: services.operator_update(operator=operator, by=_user(request), fields=form.profile_fields()),
            "Profile saved.",
        )
    ):
        return redirect("operators_detail", public_id=operator.public_id)
    return render(request, "operators/form.html", {"form": form, "operator": operator})


@login_required
@require_POST
def operator_submit(request: HttpRequest, public_id: Any) -> HttpResponse:
    operator = _own_operator(request, public_id)
    _apply(
        request,
        lambda: services.operator_transition(
            operator=operator, to_status=OperatorProfile.Status.SUBMITTED, by=_user(request)
        ),
        "Submitted for technical review.",
    )
    return redirect("operators_detail", public_id=operator.public_id)


@login_required
def operator_address_prove(request: HttpRequest, public_id: Any, address_id: Any) -> HttpResponse:
    """Prove control of a declared address inside the operator flow: sign the portal's message with the address
    (any wallet that offers personal_sign) and paste the signature. No need to reopen the KYC/KYB application."""
    from kyc.forms import PastedProofForm

    operator = _own_operator(request, public_id)
    row = operator.addresses.filter(pk=address_id).first() if str(address_id).isdigit() else None
    if row is None:
        raise Http404("No such address on this operator.")
    form = PastedProofForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            operator_address_proof_verify(
                row=row,
                by=_user(request),
                message=form.cleaned_data["message"],
                signature=form.cleaned_data["signature"],
            )
        except ApplicationError as exc:
            form.add_error("signature", exc.message)
        else:
            messages.success(request, f"Control of {row.address} proven.")
            return redirect("operators_detail", public_id=operator.public_id)
    if not form.is_bound or not form.errors:
        try:
            message = operator_address_challenge_issue(
                row=row, by=_user(request), domain=request.get_host(), uri=request.build_absolute_uri("/")
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
            return redirect("operators_detail", public_id=operator.public_id)
        form = PastedProofForm(initial={"message": message})
    return render(
        request,
        "operators/address_prove.html",
        {"operator": operator, "row": row, "form": form, "message": form["message"].value()},
    )


@login_required
@require_POST
def operator_link(request: HttpRequest, public_id: Any) -> HttpResponse:
    from kyc.models import Application

    operator = _own_operator(request, public_id)
    form = _link_form(request, operator, request.POST)
    if form.is_valid():
        application = Application.objects.get(public_id=form.cleaned_data["application"])
        _apply(
            request,
            lambda: services.operator_link_application(operator=operator, by=_user(request), application=application),
            f"Linked application {application.reference}.",
        )
    else:
        messages.error(request, "Choose one of your applications.")
    return redirect("operators_detail", public_id=operator.public_id)


@login_required
@require_POST
def operator_address_add(request: HttpRequest, public_id: Any) -> HttpResponse:
    operator = _own_operator(request, public_id)
    form = forms.AddressForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        try:
            row = services.operator_address_add(
                operator=operator, by=_user(request), address=d["address"], purpose=d["purpose"], label=d["label"]
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"Address {row.address} added. {_address_next_step(row)}")
    else:
        messages.error(request, _errors(form))
    return redirect("operators_detail", public_id=operator.public_id)


def _address_next_step(row: Any) -> str:
    # Neutral wording for a held address: the operator is not told it matched a sanctions list.
    state = row.whitelist_state
    if state == row.WhitelistState.REQUESTED:
        return "It is queued for the operators' whitelist."
    if state == row.WhitelistState.HELD:
        return "It is held for compliance review before it can be whitelisted."
    return "It goes to the operators' whitelist when the operator is approved."


@login_required
@require_POST
def operator_cluster_add(request: HttpRequest, public_id: Any) -> HttpResponse:
    operator = _own_operator(request, public_id)
    form = forms.ClusterForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        _apply(
            request,
            lambda: services.obol_cluster_create(
                operator=operator,
                by=_user(request),
                name=d["name"],
                threshold=d["threshold"],
                members=d["members"],
                lock_hash=d["lock_hash"],
            ),
            f"Cluster {d['name']} recorded.",
        )
    else:
        messages.error(request, _errors(form))
    return redirect("operators_detail", public_id=operator.public_id)


@login_required
def operator_deposit_data(request: HttpRequest, public_id: Any) -> HttpResponse:
    operator = _own_operator(request, public_id)
    form = forms.DepositDataForm(request.POST or None, request.FILES or None)
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > settings.OPERATORS_DEPOSIT_FILE_MAX_BYTES:
            problems = [f"The file is larger than {settings.OPERATORS_DEPOSIT_FILE_MAX_BYTES} bytes."]
        else:
            try:
                record = services.validators_import_deposit_data(
                    operator=operator, by=_user(request), filename=upload.name, raw=upload.read()
                )
            except services.DepositDataRefused as exc:
                problems = [str(p) for p in exc.problems] or [exc.message]
            except ApplicationError as exc:
                problems = [exc.message]
            else:
                messages.success(request, f"Imported {record.keys} validator keys from {record.filename}.")
                return redirect("operators_detail", public_id=operator.public_id)
    return render(
        request,
        "operators/deposit_data.html",
        {"operator": operator, "form": form, "problems": problems, "network": settings.OPERATORS_NETWORK},
        status=400 if problems else 200,
    )


@login_required
@require_POST
def operator_exit_voluntary(request: HttpRequest, public_id: Any) -> HttpResponse:
    operator = _own_operator(request, public_id)
    validator = operator.validators.filter(pubkey=request.POST.get("validator", "").strip().lower()).first()
    if validator is None:
        messages.error(request, "Choose one of this operator's validators (its 0x public key).")
    else:
        _apply(
            request,
            lambda: services.exit_request_create(
                validator=validator,
                kind=ExitRequest.Kind.VOLUNTARY,
                reason=request.POST.get("reason", "") or "Voluntary exit",
                by=_user(request),
            ),
            "Voluntary exit recorded.",
        )
    return redirect("operators_detail", public_id=operator.public_id)


@login_required
def operator_rewards(request: HttpRequest, public_id: Any) -> HttpResponse:
    operator = _operator(request, public_id)
    if not (_works_on(request, operator) or user_has_capability(request.user, Capability.OPERATOR_REVIEW)):
        raise Http404
    latest = selectors.latest_imported_epoch() or 0
    form = forms.RewardsForm(request.GET or {"epoch_from": max(0, latest - 224), "epoch_to": latest})
    report = None
    if form.is_valid():
        d = form.cleaned_data
        report = selectors.rewards_report(
            operator=operator, epoch_from=d["epoch_from"], epoch_to=d["epoch_to"], total_eth=d.get("total_eth")
        )
    return render(request, "operators/rewards.html", {"operator": operator, "form": form, "report": report})


def _own_node(request: HttpRequest, operator: OperatorProfile, node_id: Any) -> Node:
    node = operator.nodes.filter(public_id=node_id).first()
    if node is None:
        raise Http404
    return node


@login_required
def operator_node_create(request: HttpRequest, public_id: Any) -> HttpResponse:
    operator = _own_operator(request, public_id)
    form = forms.NodeForm(request.POST or None)
    if (
        request.method == "POST"
        and form.is_valid()
        and _apply(
            request,
            lambda: services.node_create(operator=operator, by=_user(request), fields=form.node_fields()),
            f"Node {form.cleaned_data['name']} recorded.",
        )
    ):
        return redirect("operators_detail", public_id=operator.public_id)
    return render(request, "operators/node_form.html", {"form": form, "operator": operator, "node": None})


@login_required
def operator_node_edit(request: HttpRequest, public_id: Any, node_id: Any) -> HttpResponse:
    operator = _own_operator(request, public_id)
    node = _own_node(request, operator, node_id)
    form = forms.NodeForm(request.POST or None, instance=Node.objects.get(pk=node.pk))
    if (
        request.method == "POST"
        and form.is_valid()
        and _apply(
            request,
            lambda: services.node_update(node=node, by=_user(request), fields=form.node_fields()),
            f"Node {form.cleaned_data['name']} saved.",
        )
    ):
        return redirect("operators_detail", public_id=operator.public_id)
    return render(
        request,
        "operators/node_form.html",
        {
            "form": form,
            "operator": operator,
            "node": node,
            "assign_form": forms.NodeAssignForm(),
            "node_validators": list(node.validators.order_by("id")[:200]),
        },
    )


@login_required
@require_POST
def operator_node_delete(request: HttpRequest, public_id: Any, node_id: Any) -> HttpResponse:
    operator = _own_operator(request, public_id)
    node = _own_node(request, operator, node_id)
    name = node.name
    if not _apply(request, lambda: services.node_delete(node=node, by=_user(request)), f"Node {name} removed."):
        return redirect("operators_node_edit", public_id=operator.public_id, node_id=node.public_id)
    return redirect("operators_detail", public_id=operator.public_id)


@login_required
@require_POST
def operator_node_assign(request: HttpRequest, public_id: Any, node_id: Any) -> HttpResponse:
    operator = _own_operator(request, public_id)
    node = _own_node(request, operator, node_id)
    form = forms.NodeAssignForm(request.POST)
    if form.is_valid():
        keys = form.cleaned_data["pubkeys"]
        # "detach" sends the validators back to the profile's infrastructure.
        target = None if request.POST.get("detach") else node
        _apply(
            request,
            lambda: services.validators_assign_node(operator=operator, by=_user(request), node=target, pubkeys=keys),
            f"{len(keys)} validator(s) {'detached from' if target is None else 'moved to'} {node.name}.",
        )
    else:
        messages.error(request, _errors(form))
    return redirect("operators_node_edit", public_id=operator.public_id, node_id=node.public_id)


# Public ----------------------------------------------------------------------------------------------------
def diversity(request: HttpRequest) -> HttpResponse:
    distributions = selectors.diversity_distributions()
    charts = [
        (d, mark_safe(bar_chart_svg(d, title=d.dimension.replace("_", " ").capitalize())))  # noqa: S308 - escaped
        for d in distributions
    ]
    performance = [
        (
            row,
            mark_safe(  # noqa: S308 - numbers and escaped labels only
                line_chart_svg(
                    [(f"{s.created_at:%d %b}", s.score) for s in row["scores"]], title=row["operator"].name, height=120
                )
            ),
        )
        for row in selectors.public_operator_performance()
    ]
    warnings = [w for d in distributions for w in d.warnings]
    return render(
        request, "operators/diversity.html", {"charts": charts, "performance": performance, "warnings": warnings}
    )


# Staff -----------------------------------------------------------------------------------------------------
@capability_required(Capability.OPERATOR_REVIEW)
def staff_operator_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    if status and status not in OperatorProfile.Status.values:
        status = ""
    page = Paginator(selectors.operator_staff_list(status=status), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "operators/staff_list.html",
        {
            "page": page,
            "status": status,
            "statuses": OperatorProfile.Status.choices,
            "beacon_url_set": bool(settings.OPERATORS_BEACON_URL),
            "beacon_runs": list(BeaconImportRun.objects.order_by("-created_at")[:5]),
        },
    )


@capability_required(Capability.OPERATOR_REVIEW)
def staff_operator_detail(request: HttpRequest, public_id: Any) -> HttpResponse:
    operator = _operator(request, public_id)
    context = _detail_context(request, operator, staff=True)
    context["staff"] = True
    context["staff_actions"] = [(s, states.ACTION_LABELS[s]) for s in states.next_states(operator.status, states.STAFF)]
    context["exit_form"] = forms.StaffExitForm()
    context["cap_form"] = forms.CapForm(initial={"validator_cap": operator.validator_cap})
    context["adjustment_form"] = forms.AdjustmentForm(initial={"epoch": selectors.latest_imported_epoch() or 0})
    context["adjustments"] = list(operator.reward_adjustments.select_related("by").order_by("-created_at")[:20])
    context["result_choices"] = DueDiligenceItem.Result.choices
    return render(request, "operators/staff_detail.html", context)


@capability_required(Capability.OPERATOR_REVIEW)
@require_POST
def staff_operator_transition(request: HttpRequest, public_id: Any) -> HttpResponse:
    operator = _operator(request, public_id)
    form = forms.TransitionForm(request.POST)
    if form.is_valid():
        to_status = form.cleaned_data["to_status"]
        if states.allowed_actor(operator.status, to_status) != states.STAFF:
            messages.error(request, "That step is not for staff to take from this state.")
        else:
            if to_status == OperatorProfile.Status.APPROVED:
                # Committed on its own, so a hit that refuses the approval stays on record and on the page.
                services.operator_addresses_screen(operator=operator, by=_user(request))
            _apply(
                request,
                lambda: services.operator_transition(
                    operator=operator, to_status=to_status, by=_user(request), reason=form.cleaned_data["reason"]
                ),
                f"Operator is now {OperatorProfile.Status(to_status).label.lower()}.",
            )
    return redirect("operators_staff_detail", public_id=operator.public_id)


@capability_required(Capability.OPERATOR_REVIEW)
@require_POST
def staff_operator_checklist(request: HttpRequest, public_id: Any) -> HttpResponse:
    operator = _operator(request, public_id)
    form = forms.ChecklistForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        _apply(
            request,
            lambda: services.checklist_item_review(
                operator=operator, key=d["key"], result=d["result"], note=d["note"], by=_user(request)
            ),
            f"{checklist.LABELS.get(d['key'], d['key'])}: {d['result']}.",
        )
    else:
        messages.error(request, "Choose a result for the item.")
    return redirect("operators_staff_detail", public_id=operator.public_id)


@capability_required(Capability.OPERATOR_REVIEW)
@require_POST
def staff_operator_exit(request: HttpRequest, public_id: Any) -> HttpResponse:
    operator = _operator(request, public_id)
    form = forms.StaffExitForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        validator = Validator.objects.filter(operator=operator, pubkey=d["validator"].strip().lower()).first()
        if validator is None:
            messages.error(request, "No validator of this operator has that public key.")
        else:
            _apply(
                request,
                lambda: services.exit_request_create(
                    validator=validator, kind=d["kind"], reason=d["reason"], by=_user(request)
                ),
                "Exit recorded; the operator was notified.",
            )
    else:
        messages.error(request, _errors(form))
    return redirect("operators_staff_detail", public_id=operator.public_id)


@capability_required(Capability.OPERATOR_REVIEW)
@require_POST
def staff_operator_cap(request: HttpRequest, public_id: Any) -> HttpResponse:
    operator = _operator(request, public_id)
    form = forms.CapForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        _apply(
            request,
            lambda: services.operator_cap_set(
                operator=operator, cap=d["validator_cap"], by=_user(request), reason=d["reason"]
            ),
            f"Cap set to {d['validator_cap']} validators.",
        )
    else:
        messages.error(request, _errors(form))
    return redirect("operators_staff_detail", public_id=operator.public_id)


@capability_required(Capability.OPERATOR_REVIEW)
@require_POST
def staff_operator_adjustment(request: HttpRequest, public_id: Any) -> HttpResponse:
    operator = _operator(request, public_id)
    form = forms.AdjustmentForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        _apply(
            request,
            lambda: services.reward_adjustment_add(
                operator=operator, epoch=d["epoch"], amount_eth=d["amount_eth"], reason=d["reason"], by=_user(request)
            ),
            f"Adjustment of {d['amount_eth']} ETH recorded at epoch {d['epoch']}.",
        )
    else:
        messages.error(request, _errors(form))
    return redirect("operators_staff_detail", public_id=operator.public_id)


@capability_required(Capability.OPERATOR_REVIEW)
def staff_allocation(request: HttpRequest) -> HttpResponse:
    form = forms.AllocationForm(request.GET or None)
    result = None
    if form.is_valid():
        result = allocate(
            selectors.allocation_candidates(),
            form.cleaned_data["validators"],
            min_score=Decimal(settings.OPERATORS_ALLOCATION_MIN_SCORE),
        )
    return render(
        request,
        "operators/allocation.html",
        {"form": form, "result": result, "min_score": settings.OPERATORS_ALLOCATION_MIN_SCORE},
    )

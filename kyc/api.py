"""The onboarding API under /api/v1/: everything the wizard does, for institutions that integrate.

One view per resource operation with nested Input/Output serializers; every queryset is scoped to the
user's organisations (and own individual applications) through the selectors, so another applicant's
object is a 404. Unsafe calls accept an `Idempotency-Key`.
"""

from __future__ import annotations

from typing import Any, cast

from django.db import transaction
from django.http import Http404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import api_key_organisation
from accounts.models import ApiKey, ApiKeyScope, Organisation, User
from accounts.permissions import user_is_staff_member
from core.names import NameListSerializerField, NameSerializerField
from kyc import selectors, services
from kyc.idempotency import HEADER as IDEMPOTENCY_HEADER
from kyc.idempotency import idempotent, remember
from kyc.models import (
    Application,
    CompanyProfile,
    Document,
    OperatorCategory,
    Person,
    SubjectType,
    WalletAddress,
    WalletChallenge,
)
from kyc.validation import validate_country, validate_lei

IDEMPOTENCY_PARAM = OpenApiParameter(
    IDEMPOTENCY_HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description="Any unique string (a UUID): a retry with the same key and body returns the first answer.",
)


class CountryField(serializers.CharField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 2)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        value = super().to_internal_value(data)
        if value == "":
            return value
        try:
            return validate_country(value)
        except Exception as exc:
            raise serializers.ValidationError(getattr(exc, "messages", [str(exc)])[0]) from exc


class CountryListField(serializers.ListField):
    child = CountryField()


def _get_application(request: Request, public_id: Any) -> Application:
    if user_is_staff_member(request.user):
        raise Http404("Staff accounts have no applications.")
    application = selectors.application_get_for_user(user=request.user, public_id=public_id)
    key_organisation = api_key_organisation(request)
    if key_organisation is not None and application.organisation_id != key_organisation.pk:
        # An API key acts for its organisation only, not for everything its creator can see.
        raise Http404("No such application.")
    return application


# What an API key needs per method (accounts.authentication); reading status is the narrow scope, everything that
# fills in or submits an application (and reads what was filled in) needs the submit scope.
READ_STATUS = {"GET": ApiKeyScope.STATUS_READ.value}
SUBMIT = ApiKeyScope.APPLICATIONS_SUBMIT.value
SUBMIT_ALL = dict.fromkeys(("GET", "POST", "PUT", "PATCH", "DELETE"), SUBMIT)


def _user(request: Request) -> User:
    return cast(User, request.user)


# Output serializers ------------------------------------------------------------------------------------------


class PersonOutput(serializers.Serializer[Person]):
    id = serializers.UUIDField(source="public_id")
    role = serializers.CharField()
    legal_name = serializers.CharField()
    other_names = serializers.ListField(child=serializers.CharField())
    former_names = serializers.ListField(child=serializers.CharField())
    date_of_birth = serializers.DateField(allow_null=True)
    nationalities = serializers.ListField(child=serializers.CharField())
    country_of_residence = serializers.CharField()
    residential_address = serializers.CharField()
    tax_residence = serializers.CharField()
    occupation = serializers.CharField()
    source_of_funds = serializers.CharField()
    source_of_wealth = serializers.CharField()
    pep_status = serializers.CharField()
    pep_details = serializers.CharField()
    id_document_type = serializers.CharField()
    id_document_number = serializers.CharField()
    id_document_country = serializers.CharField()
    id_document_expiry = serializers.DateField(allow_null=True)
    ownership_percent = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)
    ownership_indirect = serializers.BooleanField()
    ownership_chain = serializers.CharField()
    position = serializers.CharField()


class CompanyOutput(serializers.Serializer[CompanyProfile]):
    legal_name = serializers.CharField()
    trading_names = serializers.ListField(child=serializers.CharField())
    former_names = serializers.ListField(child=serializers.CharField())
    registration_number = serializers.CharField()
    lei = serializers.CharField()
    jurisdiction = serializers.CharField()
    incorporation_date = serializers.DateField(allow_null=True)
    registered_address = serializers.CharField()
    operating_address = serializers.CharField()
    entity_type = serializers.CharField()
    is_regulated = serializers.BooleanField()
    regulator = serializers.CharField()
    licence_number = serializers.CharField()
    website = serializers.CharField()
    business_description = serializers.CharField()
    no_ubo_declared = serializers.BooleanField()


class DocumentOutput(serializers.Serializer[Document]):
    id = serializers.UUIDField(source="public_id")
    kind = serializers.CharField()
    person = serializers.UUIDField(source="person.public_id", allow_null=True, default=None)
    original_name = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()
    uploaded_at = serializers.DateTimeField(source="created_at")
    download_url = serializers.SerializerMethodField()

    @extend_schema_field(OpenApiTypes.STR)
    def get_download_url(self, obj: Document) -> str:
        return reverse("kyc:document", kwargs={"document_id": obj.public_id})


class WalletChainOutput(serializers.Serializer[Any]):
    list_key = serializers.CharField(help_text="stakers or operators")
    status = serializers.ChoiceField(choices=["pending", "on_chain", "expired", "removed", "not_listed"])
    pending_action = serializers.CharField(allow_null=True)
    block_number = serializers.IntegerField(allow_null=True)
    tx_hash = serializers.CharField()
    explorer_url = serializers.CharField(help_text="The transaction on a block explorer (WHITELIST_EXPLORER_TX_URL).")
    valid_until = serializers.DateTimeField(allow_null=True, help_text="The expiry recorded on chain.")
    removed_at = serializers.DateTimeField(allow_null=True)


class WalletOutput(serializers.Serializer[WalletAddress]):
    id = serializers.UUIDField(source="public_id")
    address = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # DRF stubs: a field named like Field.label
    purpose = serializers.CharField()
    verified = serializers.SerializerMethodField()
    verified_at = serializers.DateTimeField(allow_null=True)
    proof_method = serializers.CharField()
    proof_chain_id = serializers.IntegerField(allow_null=True)
    chain = serializers.SerializerMethodField(
        help_text="Where the proven wallet stands on the whitelist; null while it is not proven."
    )

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_verified(self, obj: WalletAddress) -> bool:
        return obj.verified_at is not None

    @extend_schema_field(WalletChainOutput(allow_null=True))
    def get_chain(self, obj: WalletAddress) -> dict[str, Any] | None:
        states = self.context.get("chain_states")
        if states is None:
            states = selectors.wallet_chain_states(application=obj.application, wallets=[obj])
        state = states.get(obj.pk)
        return dict(WalletChainOutput(state).data) if state else None


class ApplicationSummaryOutput(serializers.Serializer[Application]):
    id = serializers.UUIDField(source="public_id")
    reference = serializers.CharField()
    subject_type = serializers.CharField()
    operator_category = serializers.CharField()
    organisation = serializers.UUIDField(source="organisation.public_id", allow_null=True, default=None)
    status = serializers.CharField()
    created_at = serializers.DateTimeField()
    submitted_at = serializers.DateTimeField(allow_null=True)


class ProblemOutput(serializers.Serializer[Any]):
    section = serializers.CharField()
    field = serializers.CharField()
    message = serializers.CharField()


class RequestedItemOutput(serializers.Serializer[Any]):
    key = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # DRF stubs: a field named like Field.label
    changed = serializers.BooleanField()


class InformationRequestOutput(serializers.Serializer[Any]):
    message = serializers.CharField()
    requested_at = serializers.DateTimeField()
    items = RequestedItemOutput(many=True)
    has_changes = serializers.BooleanField()


class ApplicationOutput(ApplicationSummaryOutput):
    expected_volume_eth = serializers.DecimalField(max_digits=20, decimal_places=2, allow_null=True)
    source_of_funds = serializers.CharField()
    editable_sections = serializers.SerializerMethodField()
    missing = serializers.SerializerMethodField()
    company = serializers.SerializerMethodField()
    people = PersonOutput(many=True)
    documents = DocumentOutput(many=True)
    wallets = WalletOutput(many=True)
    information_request = serializers.SerializerMethodField(
        help_text="While information is requested: the reviewer's message and exactly the items to change."
    )

    @extend_schema_field(InformationRequestOutput(allow_null=True))
    def get_information_request(self, obj: Application) -> dict[str, Any] | None:
        asked = selectors.information_request_current(application=obj)
        if asked is None:
            return None
        return {
            "message": asked.message,
            "requested_at": serializers.DateTimeField().to_representation(asked.at),
            "items": [{"key": i.key, "label": i.label, "changed": i.changed} for i in asked.items],
            "has_changes": asked.has_changes,
        }

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_editable_sections(self, obj: Application) -> list[str]:
        from kyc.editing import editable_sections

        return sorted(editable_sections(obj))

    @extend_schema_field(ProblemOutput(many=True))
    def get_missing(self, obj: Application) -> list[dict[str, str]]:
        return [
            {"section": p.section, "field": p.field, "message": p.message}
            for p in selectors.application_submission_problems(obj)
        ]

    @extend_schema_field(CompanyOutput(allow_null=True))
    def get_company(self, obj: Application) -> dict[str, Any] | None:
        return dict(CompanyOutput(obj.company).data) if obj.is_company else None


def _detail(application: Application) -> dict[str, Any]:
    application = (
        Application.objects.select_related("organisation", "company")
        .prefetch_related("people", "documents__person", "wallets")
        .get(pk=application.pk)
    )
    chain_states = selectors.wallet_chain_states(application=application, wallets=list(application.wallets.all()))
    return dict(ApplicationOutput(application, context={"chain_states": chain_states}).data)


class OnboardingApi(APIView):
    """The onboarding views: `replay` rebuilds, for an `Idempotency-Key` retry, the answer a handler marked with
    `remember` (the record keeps no body), through the same object checks as any call."""

    def replay(self, request: Request, resource: str, *args: Any, **kwargs: Any) -> Any:
        kind, _, ident = resource.partition(":")
        if kind == "application":
            return _detail(_get_application(request, ident))
        application = _get_application(request, kwargs["public_id"])
        if kind == "person":
            return PersonOutput(selectors.person_get(application=application, public_id=ident)).data
        if kind == "company":
            return CompanyOutput(application.company).data
        if kind == "document":
            return DocumentOutput(selectors.document_get(application=application, public_id=ident)).data
        if kind == "wallet":
            return WalletOutput(selectors.wallet_get(application=application, public_id=ident)).data
        if kind == "challenge":
            challenge = WalletChallenge.objects.filter(wallet__application=application, nonce=ident).first()
            if challenge is None:
                raise Http404("This challenge no longer exists.")
            return ChallengeOutput(challenge).data
        raise Http404("The answer to this request can no longer be shown.")


# Applications ------------------------------------------------------------------------------------------------


class ApplicationListCreateApi(OnboardingApi):
    api_key_scopes = {"GET": ApiKeyScope.STATUS_READ.value, "POST": SUBMIT}

    class InputSerializer(serializers.Serializer[Any]):
        class Meta:
            ref_name = "ApplicationListCreateInput"

        subject_type = serializers.ChoiceField(choices=SubjectType.choices)
        organisation = serializers.UUIDField(required=False, allow_null=True)
        operator_category = serializers.ChoiceField(choices=OperatorCategory.choices, required=False, allow_blank=True)

    @extend_schema(responses=ApplicationSummaryOutput(many=True), operation_id="applications_list")
    def get(self, request: Request) -> Response:
        if user_is_staff_member(request.user):
            raise Http404("Staff accounts have no applications.")
        applications = selectors.application_list_for_user(user=request.user)
        key_organisation = api_key_organisation(request)
        if key_organisation is not None:
            applications = applications.filter(organisation=key_organisation)
        paginator = LimitOffsetPagination()
        page = paginator.paginate_queryset(applications, request, self)
        return paginator.get_paginated_response(ApplicationSummaryOutput(page, many=True).data)  # type: ignore[arg-type]

    @extend_schema(
        request=InputSerializer,
        responses={201: ApplicationOutput},
        parameters=[IDEMPOTENCY_PARAM],
        operation_id="applications_create",
    )
    @idempotent
    def post(self, request: Request) -> Response:
        if user_is_staff_member(request.user):
            raise Http404("Staff accounts have no applications.")
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        organisation = None
        key_organisation = api_key_organisation(request)
        if key_organisation is not None:
            # A key creates applications for its own organisation only (never an individual's).
            if data.validated_data.get("organisation") not in (None, key_organisation.public_id):
                return Response(
                    {"organisation": ["This API key acts for another organisation."]},
                    status=status.HTTP_400_BAD_REQUEST,
                )
            organisation = key_organisation
        elif data.validated_data.get("organisation"):
            organisation = Organisation.objects.filter(
                public_id=data.validated_data["organisation"], memberships__user=_user(request)
            ).first()
            if organisation is None:
                return Response(
                    {"organisation": ["No organisation of yours has this id."]}, status=status.HTTP_400_BAD_REQUEST
                )
        application = services.application_create(
            by=_user(request),
            subject_type=data.validated_data["subject_type"],
            organisation=organisation,
            operator_category=data.validated_data.get("operator_category", ""),
        )
        return remember(
            Response(_detail(application), status=status.HTTP_201_CREATED), f"application:{application.public_id}"
        )


def _key_reads_status_only(request: Request) -> bool:
    """A key without the submit scope sees what its name says, the status: never the people, documents or wallets
    that were filled in (those need `applications:submit`, as `/people/` does)."""
    auth = getattr(request, "auth", None)
    return isinstance(auth, ApiKey) and SUBMIT not in auth.scopes


class ApplicationDetailApi(OnboardingApi):
    api_key_scopes = READ_STATUS

    @extend_schema(
        responses=ApplicationOutput,
        operation_id="applications_retrieve",
        description="The whole application. An API key with only `status:read` gets the summary fields (id, "
        "reference, types, organisation, status and dates) and none of the people, company, documents or wallets.",
    )
    def get(self, request: Request, public_id: Any) -> Response:
        application = _get_application(request, public_id)
        if _key_reads_status_only(request):
            return Response(ApplicationSummaryOutput(application).data)
        return Response(_detail(application))


class ApplicationDetailsApi(OnboardingApi):
    api_key_scopes = SUBMIT_ALL

    class InputSerializer(serializers.Serializer[Any]):
        class Meta:
            ref_name = "ApplicationDetailsInput"

        operator_category = serializers.ChoiceField(choices=OperatorCategory.choices, required=False, allow_blank=True)
        expected_volume_eth = serializers.DecimalField(max_digits=20, decimal_places=2, min_value=0, required=False)
        source_of_funds = serializers.CharField(max_length=4000, required=False, allow_blank=True)

    @extend_schema(request=InputSerializer, responses=ApplicationOutput, parameters=[IDEMPOTENCY_PARAM])
    @idempotent
    def patch(self, request: Request, public_id: Any) -> Response:
        application = _get_application(request, public_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.application_details_update(application=application, by=_user(request), data=data.validated_data)
        return remember(Response(_detail(application)), f"application:{application.public_id}")


class PersonInput(serializers.Serializer[Any]):
    legal_name = NameSerializerField(max_length=300)
    other_names = NameListSerializerField(required=False)
    former_names = NameListSerializerField(required=False)
    date_of_birth = serializers.DateField(required=False, allow_null=True)
    nationalities = CountryListField(required=False)
    country_of_residence = CountryField(required=False, allow_blank=True)
    residential_address = serializers.CharField(max_length=1000, required=False, allow_blank=True)
    tax_residence = CountryField(required=False, allow_blank=True)
    occupation = serializers.CharField(max_length=200, required=False, allow_blank=True)
    source_of_funds = serializers.CharField(max_length=4000, required=False, allow_blank=True)
    source_of_wealth = serializers.CharField(max_length=4000, required=False, allow_blank=True)
    pep_status = serializers.ChoiceField(choices=Person.PepStatus.choices, required=False, allow_blank=True)
    pep_details = serializers.CharField(max_length=4000, required=False, allow_blank=True)
    id_document_type = serializers.ChoiceField(choices=Person.IdDocumentType.choices, required=False, allow_blank=True)
    id_document_number = serializers.CharField(max_length=64, required=False, allow_blank=True)
    id_document_country = CountryField(required=False, allow_blank=True)
    id_document_expiry = serializers.DateField(required=False, allow_null=True)
    ownership_percent = serializers.DecimalField(
        max_digits=5, decimal_places=2, required=False, allow_null=True, min_value=25, max_value=100
    )
    ownership_indirect = serializers.BooleanField(required=False)
    ownership_chain = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    position = serializers.CharField(max_length=200, required=False, allow_blank=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("pep_status") in (Person.PepStatus.PEP, Person.PepStatus.RELATIVE) and not attrs.get(
            "pep_details"
        ):
            raise serializers.ValidationError(
                {"pep_details": "Describe the public function (position, country, dates)."}
            )
        return attrs


class ApplicationProfileApi(OnboardingApi):
    """The individual applicant's own KYC fields (individual and operator-individual applications)."""

    api_key_scopes = SUBMIT_ALL

    @extend_schema(request=PersonInput, responses=PersonOutput, parameters=[IDEMPOTENCY_PARAM])
    @idempotent
    def put(self, request: Request, public_id: Any) -> Response:
        application = _get_application(request, public_id)
        data = PersonInput(data=request.data)
        data.is_valid(raise_exception=True)
        person = services.application_profile_update(
            application=application, by=_user(request), data=data.validated_data
        )
        return remember(Response(PersonOutput(person).data), f"person:{person.public_id}")


class ApplicationCompanyApi(OnboardingApi):
    api_key_scopes = SUBMIT_ALL

    class InputSerializer(serializers.Serializer[Any]):
        class Meta:
            ref_name = "ApplicationCompanyInput"

        legal_name = NameSerializerField(max_length=300, required=False)
        trading_names = NameListSerializerField(required=False)
        former_names = NameListSerializerField(required=False)
        registration_number = serializers.CharField(max_length=64, required=False, allow_blank=True)
        lei = serializers.CharField(max_length=24, required=False, allow_blank=True)
        jurisdiction = CountryField(required=False, allow_blank=True)
        incorporation_date = serializers.DateField(required=False, allow_null=True)
        registered_address = serializers.CharField(max_length=1000, required=False, allow_blank=True)
        operating_address = serializers.CharField(max_length=1000, required=False, allow_blank=True)
        entity_type = serializers.ChoiceField(
            choices=CompanyProfile.EntityType.choices, required=False, allow_blank=True
        )
        is_regulated = serializers.BooleanField(required=False)
        regulator = serializers.CharField(max_length=200, required=False, allow_blank=True)
        licence_number = serializers.CharField(max_length=100, required=False, allow_blank=True)
        website = serializers.URLField(required=False, allow_blank=True)
        business_description = serializers.CharField(max_length=4000, required=False, allow_blank=True)
        no_ubo_declared = serializers.BooleanField(
            required=False,
            help_text="Declare that no natural person owns or controls 25 % or more; then add the senior managing "
            "official as a person with the role senior_manager.",
        )

        def validate_lei(self, value: str) -> str:
            if not value:
                return ""
            try:
                return validate_lei(value)
            except Exception as exc:
                raise serializers.ValidationError(getattr(exc, "messages", [str(exc)])[0]) from exc

    @extend_schema(request=InputSerializer, responses=CompanyOutput, parameters=[IDEMPOTENCY_PARAM])
    @idempotent
    def patch(self, request: Request, public_id: Any) -> Response:
        application = _get_application(request, public_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        declared = fields.pop("no_ubo_declared", None)
        with transaction.atomic():
            company = services.company_profile_update(application=application, by=_user(request), data=fields)
            if declared is not None:
                company = services.company_ubo_declaration_set(
                    application=application, by=_user(request), declared=declared
                )
        return remember(Response(CompanyOutput(company).data), "company:")


class PersonListCreateApi(OnboardingApi):
    api_key_scopes = SUBMIT_ALL

    class InputSerializer(PersonInput):
        class Meta:
            ref_name = "PersonListCreateInput"

        role = serializers.ChoiceField(choices=[(r, r) for r in services.COMPANY_PERSON_ROLES])

    @extend_schema(responses=PersonOutput(many=True), operation_id="applications_people_list")
    def get(self, request: Request, public_id: Any) -> Response:
        application = _get_application(request, public_id)
        return Response(PersonOutput(application.people.all(), many=True).data)  # type: ignore[arg-type]

    @extend_schema(
        request=InputSerializer,
        responses={201: PersonOutput},
        parameters=[IDEMPOTENCY_PARAM],
        operation_id="applications_people_create",
    )
    @idempotent
    def post(self, request: Request, public_id: Any) -> Response:
        application = _get_application(request, public_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        role = values.pop("role")
        person = services.person_add(application=application, by=_user(request), role=role, data=values)
        return remember(
            Response(PersonOutput(person).data, status=status.HTTP_201_CREATED), f"person:{person.public_id}"
        )


class PersonDetailApi(OnboardingApi):
    api_key_scopes = SUBMIT_ALL

    class InputSerializer(PersonInput):
        class Meta:
            ref_name = "PersonDetailInput"

        legal_name = NameSerializerField(max_length=300, required=False)

    @extend_schema(responses=PersonOutput, operation_id="applications_people_retrieve")
    def get(self, request: Request, public_id: Any, person_id: Any) -> Response:
        application = _get_application(request, public_id)
        return Response(PersonOutput(selectors.person_get(application=application, public_id=person_id)).data)

    @extend_schema(request=InputSerializer, responses=PersonOutput, parameters=[IDEMPOTENCY_PARAM])
    @idempotent
    def patch(self, request: Request, public_id: Any, person_id: Any) -> Response:
        application = _get_application(request, public_id)
        person = selectors.person_get(application=application, public_id=person_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        person = services.person_update(person=person, by=_user(request), data=data.validated_data)
        return remember(Response(PersonOutput(person).data), f"person:{person.public_id}")

    @extend_schema(responses={204: None}, parameters=[IDEMPOTENCY_PARAM])
    @idempotent
    def delete(self, request: Request, public_id: Any, person_id: Any) -> Response:
        application = _get_application(request, public_id)
        person = selectors.person_get(application=application, public_id=person_id)
        services.person_remove(person=person, by=_user(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class DocumentListCreateApi(OnboardingApi):
    api_key_scopes = SUBMIT_ALL

    parser_classes = [MultiPartParser, FormParser]

    class InputSerializer(serializers.Serializer[Any]):
        class Meta:
            ref_name = "DocumentListCreateInput"

        kind = serializers.ChoiceField(choices=Document.Kind.choices)
        person = serializers.UUIDField(required=False, allow_null=True)
        file = serializers.FileField()

    @extend_schema(responses=DocumentOutput(many=True), operation_id="applications_documents_list")
    def get(self, request: Request, public_id: Any) -> Response:
        application = _get_application(request, public_id)
        return Response(DocumentOutput(application.documents.select_related("person"), many=True).data)  # type: ignore[arg-type]

    @extend_schema(
        request={"multipart/form-data": InputSerializer},
        responses={201: DocumentOutput},
        parameters=[IDEMPOTENCY_PARAM],
        operation_id="applications_documents_create",
    )
    @idempotent
    def post(self, request: Request, public_id: Any) -> Response:
        application = _get_application(request, public_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        person = None
        if data.validated_data.get("person"):
            person = application.people.filter(public_id=data.validated_data["person"]).first()
            if person is None:
                return Response({"person": ["No person on this application has this id."]}, status=400)
        document = services.document_upload(
            application=application,
            by=_user(request),
            kind=data.validated_data["kind"],
            upload=data.validated_data["file"],
            person=person,
        )
        return remember(
            Response(DocumentOutput(document).data, status=status.HTTP_201_CREATED), f"document:{document.public_id}"
        )


class DocumentDetailApi(OnboardingApi):
    api_key_scopes = SUBMIT_ALL

    @extend_schema(responses=DocumentOutput, operation_id="applications_documents_retrieve")
    def get(self, request: Request, public_id: Any, document_id: Any) -> Response:
        application = _get_application(request, public_id)
        return Response(DocumentOutput(selectors.document_get(application=application, public_id=document_id)).data)

    @extend_schema(responses={204: None}, parameters=[IDEMPOTENCY_PARAM])
    @idempotent
    def delete(self, request: Request, public_id: Any, document_id: Any) -> Response:
        application = _get_application(request, public_id)
        document = selectors.document_get(application=application, public_id=document_id)
        services.document_remove(document=document, by=_user(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class WalletListCreateApi(OnboardingApi):
    api_key_scopes = SUBMIT_ALL

    class InputSerializer(serializers.Serializer[Any]):
        class Meta:
            ref_name = "WalletListCreateInput"

        address = serializers.CharField(max_length=42)
        label = serializers.CharField(max_length=100)  # type: ignore[assignment]  # as above
        purpose = serializers.ChoiceField(choices=WalletAddress.Purpose.choices)

    @extend_schema(responses=WalletOutput(many=True), operation_id="applications_wallets_list")
    def get(self, request: Request, public_id: Any) -> Response:
        application = _get_application(request, public_id)
        wallets = list(application.wallets.all())
        chain_states = selectors.wallet_chain_states(application=application, wallets=wallets)
        return Response(WalletOutput(wallets, many=True, context={"chain_states": chain_states}).data)  # type: ignore[arg-type]

    @extend_schema(
        request=InputSerializer,
        responses={201: WalletOutput},
        parameters=[IDEMPOTENCY_PARAM],
        operation_id="applications_wallets_create",
    )
    @idempotent
    def post(self, request: Request, public_id: Any) -> Response:
        application = _get_application(request, public_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        wallet = services.wallet_add(application=application, by=_user(request), **data.validated_data)
        return remember(
            Response(WalletOutput(wallet).data, status=status.HTTP_201_CREATED), f"wallet:{wallet.public_id}"
        )


class WalletDetailApi(OnboardingApi):
    api_key_scopes = SUBMIT_ALL

    @extend_schema(responses=WalletOutput, operation_id="applications_wallets_retrieve")
    def get(self, request: Request, public_id: Any, wallet_id: Any) -> Response:
        application = _get_application(request, public_id)
        return Response(WalletOutput(selectors.wallet_get(application=application, public_id=wallet_id)).data)

    @extend_schema(responses={204: None}, parameters=[IDEMPOTENCY_PARAM])
    @idempotent
    def delete(self, request: Request, public_id: Any, wallet_id: Any) -> Response:
        application = _get_application(request, public_id)
        services.wallet_remove(
            wallet=selectors.wallet_get(application=application, public_id=wallet_id), by=_user(request)
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class ChallengeOutput(serializers.Serializer[WalletChallenge]):
    message = serializers.CharField()
    nonce = serializers.CharField()
    chain_id = serializers.IntegerField()
    issued_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()


class WalletChallengeApi(OnboardingApi):
    api_key_scopes = SUBMIT_ALL

    class InputSerializer(serializers.Serializer[Any]):
        class Meta:
            ref_name = "WalletChallengeInput"

        chain_id = serializers.IntegerField(required=False, min_value=1)

    @extend_schema(
        request=InputSerializer,
        responses={201: ChallengeOutput},
        parameters=[IDEMPOTENCY_PARAM],
        description="Issue a single-use EIP-4361 message to sign with the wallet (personal_sign).",
    )
    @idempotent
    def post(self, request: Request, public_id: Any, wallet_id: Any) -> Response:
        application = _get_application(request, public_id)
        wallet = selectors.wallet_get(application=application, public_id=wallet_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        challenge = services.wallet_challenge_issue(
            wallet=wallet,
            by=_user(request),
            domain=request.get_host(),
            uri=request.build_absolute_uri("/"),
            chain_id=data.validated_data.get("chain_id"),
        )
        return remember(
            Response(ChallengeOutput(challenge).data, status=status.HTTP_201_CREATED), f"challenge:{challenge.nonce}"
        )


class WalletProofApi(OnboardingApi):
    api_key_scopes = SUBMIT_ALL

    class InputSerializer(serializers.Serializer[Any]):
        class Meta:
            ref_name = "WalletProofInput"

        message = serializers.CharField(max_length=4000, trim_whitespace=False)
        signature = serializers.CharField(max_length=5000)
        pasted = serializers.BooleanField(
            required=False, default=False, help_text="True when signed offline or by a custody platform."
        )

    @extend_schema(request=InputSerializer, responses=WalletOutput, parameters=[IDEMPOTENCY_PARAM])
    @idempotent
    def post(self, request: Request, public_id: Any, wallet_id: Any) -> Response:
        application = _get_application(request, public_id)
        wallet = selectors.wallet_get(application=application, public_id=wallet_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        wallet = services.wallet_proof_verify(wallet=wallet, by=_user(request), **data.validated_data)
        return remember(Response(WalletOutput(wallet).data), f"wallet:{wallet.public_id}")


class ApplicationSubmitApi(OnboardingApi):
    api_key_scopes = SUBMIT_ALL

    @extend_schema(request=None, responses=ApplicationOutput, parameters=[IDEMPOTENCY_PARAM])
    @idempotent
    def post(self, request: Request, public_id: Any) -> Response:
        application = _get_application(request, public_id)
        application = services.application_submit(application=application, by=_user(request))
        return remember(Response(_detail(application)), f"application:{application.public_id}")


class TimelineEntryOutput(serializers.Serializer[Any]):
    at = serializers.DateTimeField(source="occurred_at")
    action = serializers.CharField()
    actor = serializers.CharField(source="shown_actor")
    before = serializers.JSONField()
    after = serializers.JSONField()
    details = serializers.JSONField(source="data")


class ApplicationTimelineApi(OnboardingApi):
    api_key_scopes = READ_STATUS

    @extend_schema(responses=TimelineEntryOutput(many=True))
    def get(self, request: Request, public_id: Any) -> Response:
        application = _get_application(request, public_id)
        return Response(TimelineEntryOutput(selectors.application_timeline(application=application), many=True).data)

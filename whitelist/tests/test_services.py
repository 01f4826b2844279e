"""The outbox service other apps call inside their decision transaction."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.utils import timezone

from core.exceptions import ApplicationError
from core.models import AuditEvent
from whitelist.models import Change
from whitelist.services import whitelist_change_request
from whitelist.tests.factories import request_add, request_remove

pytestmark = pytest.mark.django_db
LOWER = "0x52908400098527886e0f7030069857d2e4169ee7"
CHECKSUMMED = "0x52908400098527886E0F7030069857D2E4169EE7"


def test_a_requested_addition_is_stored_checksummed_pending_and_audited(approver):
    change = whitelist_change_request(
        address=LOWER,
        list_key="stakers",
        action="add",
        valid_until=timezone.now() + dt.timedelta(days=10),
        reason="KYC approved",
        reference="kyc.application:7",
        actor=approver,
    )
    assert change.address == CHECKSUMMED
    assert change.status == Change.Status.PENDING
    assert change.requested_by == approver
    event = AuditEvent.objects.get(action="whitelist.change_requested")
    assert event.after is not None and event.after["reference"] == "kyc.application:7"
    assert event.actor == approver


@pytest.mark.parametrize(
    ("address", "message"),
    [
        ("0x1234", "0x followed by 40 hexadecimal characters"),
        ("52908400098527886E0F7030069857D2E4169EE7", "0x followed by 40"),
        ("0xZZ908400098527886E0F7030069857D2E4169EE7", "hexadecimal"),
        ("0x52908400098527886E0F7030069857D2E4169Ee7", "does not match its EIP-55 checksum"),
        ("0x" + "0" * 40, "zero address"),
    ],
)
def test_an_invalid_address_is_refused_naming_the_field_and_nothing_is_saved(address, message):
    with pytest.raises(ApplicationError, match=message) as exc:
        request_add(address)
    assert exc.value.message.startswith("address:")
    assert not Change.objects.exists()


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"list_key": "whales"}, "list_key"),
        ({"action": "upsert"}, "action"),
        ({"reason": "  "}, "reason"),
        ({"valid_until": timezone.now() - dt.timedelta(seconds=1)}, "valid_until"),
    ],
)
def test_other_bad_input_is_refused_naming_the_field(kwargs, field):
    args = {
        "address": CHECKSUMMED,
        "list_key": "stakers",
        "action": "add",
        "reason": "ok",
        "actor": None,
        "valid_until": timezone.now() + dt.timedelta(days=1),
    }
    args.update(kwargs)
    with pytest.raises(ApplicationError) as exc:
        whitelist_change_request(**args)
    assert exc.value.message.startswith(field)


def test_a_removal_with_an_expiry_is_refused():
    with pytest.raises(ApplicationError, match="valid_until: a removal has no expiry"):
        whitelist_change_request(
            address=CHECKSUMMED,
            list_key="stakers",
            action="remove",
            reason="revoked",
            actor=None,
            valid_until=timezone.now() + dt.timedelta(days=1),
        )


def test_an_addition_without_an_expiry_gets_the_default_validity(settings):
    settings.WHITELIST_DEFAULT_VALIDITY_DAYS = 90
    change = whitelist_change_request(address=CHECKSUMMED, list_key="operators", action="add", reason="ok", actor=None)
    assert change.valid_until is not None
    assert abs((change.valid_until - timezone.now()) - dt.timedelta(days=90)) < dt.timedelta(seconds=5)
    assert change.valid_until.microsecond == 0


def test_a_change_rolls_back_with_the_decision_that_caused_it():
    with pytest.raises(RuntimeError), transaction.atomic():
        request_add(CHECKSUMMED)
        raise RuntimeError("the review decision failed after the change was requested")
    assert not Change.objects.exists()
    assert not AuditEvent.objects.filter(action="whitelist.change_requested").exists()


def test_the_sync_is_enqueued_only_after_commit_and_only_when_the_chain_is_configured(
    settings, django_capture_on_commit_callbacks, mocker=None
):
    from unittest import mock

    settings.WHITELIST_RPC_URL = "http://127.0.0.1:9"
    with mock.patch("whitelist.tasks.whitelist_sync_task.delay", autospec=True) as delay:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            request_remove(CHECKSUMMED)
        delay.assert_not_called()
        for cb in callbacks:
            cb()
        delay.assert_called_once_with()
    settings.WHITELIST_RPC_URL = ""
    with mock.patch("whitelist.tasks.whitelist_sync_task.delay", autospec=True) as delay:
        with django_capture_on_commit_callbacks(execute=True):
            request_remove(CHECKSUMMED)
        delay.assert_not_called()

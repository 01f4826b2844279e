"""A decision recorded while the broker is down is kept and reported as recorded (regression: the enqueue
after commit raised kombu's OperationalError into the caller, so an approver saw an error for an approval
that had in fact been saved)."""

from __future__ import annotations

import logging

import pytest
from django.db import transaction

from whitelist.models import Change
from whitelist.tests.factories import request_add
from whitelist.tests.test_faults import free_port, portal_broker


@pytest.mark.django_db(transaction=True)
def test_a_change_requested_while_the_broker_is_down_is_saved_and_the_caller_gets_no_error(settings, caplog):
    settings.WHITELIST_RPC_URL = "http://127.0.0.1:9"  # on: the request asks for a sync after commit
    dead_broker = f"redis://127.0.0.1:{free_port()}/0"
    with (
        portal_broker(dead_broker),
        caplog.at_level(logging.WARNING, logger="whitelist.services"),
        transaction.atomic(),
    ):
        change = request_add()
    assert Change.objects.get(pk=change.pk).status == Change.Status.PENDING  # the beat sweep will send it
    assert "Whitelist sync not enqueued (broker unavailable" in caplog.text

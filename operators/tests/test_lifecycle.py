from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from core.exceptions import ApplicationError
from operators.beacon import BeaconClient
from operators.beacon_import import beacon_import_epoch
from operators.demo import seed_operators
from operators.models import ExitRequest, OperatorProfile, OperatorScore, Validator
from operators.services import operator_transition, validator_register
from operators.tasks import beacon_import_task, exits_check_task
from operators.tests.beacon_server import FakeBeaconNode, FakeValidator
from operators.tests.conftest import WITHDRAWAL, make_submittable
from operators.tests.factories import OperatorAddressFactory, OperatorFactory, ValidatorFactory, pubkey_for
from whitelist.models import Change

pytestmark = pytest.mark.django_db


def test_suspending_an_approved_operator_asks_the_whitelist_to_remove_its_addresses(reviewer, alice):
    from operators.tests.factories import approved_kyc_application
    from operators.whitelisting import operator_addresses_resync

    org = alice.organisations.get()
    app = approved_kyc_application(organisation=org, applicant=alice, wallets=[(WITHDRAWAL, "withdrawals")])
    operator = OperatorFactory(organisation=org, status="approved", kyc_application=app)
    OperatorAddressFactory(operator=operator)
    operator_addresses_resync(operator=operator, by=reviewer, reason="approved")
    Change.objects.all().delete()
    with pytest.raises(ApplicationError, match="Give a reason"):
        operator_transition(operator=operator, to_status="suspended", by=reviewer)
    operator_transition(operator=operator, to_status="suspended", by=reviewer, reason="Missed exit deadlines")
    change = Change.objects.get()
    assert (change.action, change.list_key, change.address) == ("remove", "operators", WITHDRAWAL)
    assert change.reference == f"operators.operator:{operator.public_id}"
    assert operator.addresses.get().whitelist_state == "removal_requested"


def test_an_exit_honoured_after_its_deadline_lowers_the_score(reviewer):
    operator = OperatorFactory(status="approved")
    validator = ValidatorFactory(operator=operator)
    ExitRequest.objects.create(
        operator=operator,
        validator=validator,
        kind="requested",
        reason="x",
        deadline=timezone.now() - timedelta(hours=1),
    )
    with FakeBeaconNode() as node:
        node.state.validators = [
            FakeValidator(index=3, pubkey=validator.pubkey, status="active_exiting", exit_epoch="120")
        ]
        run = beacon_import_epoch(client=BeaconClient(node.url, timeout=2))
    assert run.result == "ok"
    exit_request = ExitRequest.objects.get()
    assert exit_request.status == "done" and exit_request.on_time is False
    score = OperatorScore.objects.get(operator=operator)
    # effectiveness 9000/10000 = 0.9, no duties, uptime 1, exits 0/1: 100 x (0.45 + 0.15 + 0.25 + 0) = 85
    assert score.components["exit_timeliness"] == "0.0000" and score.score == Decimal("85.00")


def test_the_beat_task_is_off_without_a_beacon_node_and_imports_with_one(settings):
    settings.OPERATORS_BEACON_URL = ""
    assert beacon_import_task.run() == "off: OPERATORS_BEACON_URL is not set"
    validator = ValidatorFactory()
    with FakeBeaconNode() as node:
        node.state.validators = [FakeValidator(index=1, pubkey=validator.pubkey)]
        settings.OPERATORS_BEACON_URL = node.url
        assert beacon_import_task.run() == "ok 100"
        assert beacon_import_task.run() == "up to date"
        node.state.head_slot += 3 * 32
        assert beacon_import_task.run() == "ok 101, ok 102, ok 103"
        node.state.faults["/eth/v1/beacon/rewards"] = "500"
        node.state.head_slot += 2 * 32
        assert beacon_import_task.run() == "failed 104"
    assert exits_check_task.run() == 0


def test_a_single_key_is_refused_when_malformed_duplicate_or_paying_elsewhere(alice, alice_operator):
    credentials = "0x01" + "00" * 11 + WITHDRAWAL[2:].lower()
    with pytest.raises(ApplicationError, match="48 bytes"):
        validator_register(operator=alice_operator, by=alice, pubkey="0x1234", withdrawal_credentials=credentials)
    with pytest.raises(ApplicationError, match="not a valid BLS12-381 public key"):
        validator_register(
            operator=alice_operator, by=alice, pubkey="0xc0" + "00" * 46 + "01", withdrawal_credentials=credentials
        )
    with pytest.raises(ApplicationError, match="declared withdrawal address"):
        validator_register(
            operator=alice_operator, by=alice, pubkey=pubkey_for(9), withdrawal_credentials="0x01" + "00" * 31
        )
    validator_register(
        operator=alice_operator,
        by=alice,
        pubkey=pubkey_for(9).upper().replace("0X", "0x"),
        withdrawal_credentials=credentials,
    )
    with pytest.raises(ApplicationError, match="already registered"):
        validator_register(operator=alice_operator, by=alice, pubkey=pubkey_for(9), withdrawal_credentials=credentials)
    assert Validator.objects.get().pubkey == pubkey_for(9)


def test_keys_cannot_be_added_while_the_operator_is_in_review(alice, reviewer, alice_operator):
    make_submittable(alice_operator, alice)
    operator_transition(operator=alice_operator, to_status="submitted", by=alice)
    with pytest.raises(ApplicationError, match="cannot be added while the operator is submitted"):
        validator_register(
            operator=alice_operator,
            by=alice,
            pubkey=pubkey_for(9),
            withdrawal_credentials="0x01" + "00" * 11 + WITHDRAWAL[2:].lower(),
        )


def test_the_seeded_demo_operators_fill_the_diversity_page_and_the_allocation(client, reviewer, capsys):
    seed_operators()
    seed_operators()  # idempotent
    assert OperatorProfile.objects.filter(status="approved").count() == 7
    html = client.get(reverse("operators_diversity")).content.decode()
    assert "Northstar Staking" in html and "Nakamoto coefficient" in html
    client.force_login(reviewer)
    page = client.get(reverse("operators_staff_allocation") + "?validators=50").content.decode()
    assert "Baltic Bare Metal" in page and "score 68.00 below the minimum 70" in page
    call_command("allocate", "--validators", "50")
    out = capsys.readouterr().out.strip().splitlines()
    assert out[-1].startswith("{") and '"validators_allocated": 50' in out[-1]


def test_the_rewards_page_shows_every_term(client, alice, alice_operator):
    client.force_login(alice)
    html = client.get(
        reverse("operators_rewards", args=[alice_operator.public_id]) + "?epoch_from=0&epoch_to=10"
    ).content.decode()
    for term in (
        "Total rewards of the period",
        "Factor of the node type",
        "All attestations",
        "Penalties",
        "Other adjustments",
    ):
        assert term in html
    bad = client.get(reverse("operators_rewards", args=[alice_operator.public_id]) + "?epoch_from=10&epoch_to=1")
    assert "must not come after" in bad.content.decode()


def test_a_revoked_kyc_case_suspends_the_operators_vetted_under_it(alice):
    from operators.services import operators_suspend_for_application
    from operators.tests.factories import approved_kyc_application
    from operators.whitelisting import operator_addresses_resync

    app = approved_kyc_application(
        organisation=alice.organisations.get(), applicant=alice, wallets=[(WITHDRAWAL, "withdrawals")]
    )
    operator = OperatorFactory(organisation=alice.organisations.get(), status="approved", kyc_application=app)
    OperatorAddressFactory(operator=operator)
    operator_addresses_resync(operator=operator, by=None, reason="approved")
    Change.objects.all().delete()
    app.status = "revoked"
    app.save(update_fields=["status"])
    assert operators_suspend_for_application(application=app, reason="KYB revoked") == 1
    operator.refresh_from_db()
    assert operator.status == "suspended"
    assert Change.objects.get().action == "remove"
    assert operator.status_changes.get().by is None


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_operators_uploading_the_same_key_at_once_end_with_one_owner():
    import json
    import threading

    from django.db import connection

    from operators.deposit_data import make_deposit_entry
    from operators.services import validators_import_deposit_data

    raw = json.dumps(
        [
            make_deposit_entry(
                secret_key=4242,
                withdrawal_address=WITHDRAWAL,
                amount_gwei=32_000_000_000,
                fork_version="00000000",
                network_name="mainnet",
            )
        ]
    ).encode()
    operators = []
    for _ in range(2):
        op = OperatorFactory(status="approved")
        OperatorAddressFactory(operator=op)
        operators.append(op)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def upload(op):
        try:
            barrier.wait()
            validators_import_deposit_data(operator=op, by=None, filename="d.json", raw=raw, verify_signatures=False)
            outcomes.append("imported")
        except ApplicationError as exc:
            outcomes.append(exc.message)
        finally:
            connection.close()

    threads = [threading.Thread(target=upload, args=(op,)) for op in operators]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes)[1] == "imported" and outcomes.count("imported") == 1
    assert Validator.objects.filter(pubkey=pubkey_for(4242)).count() == 1

"""Consent (GovStack Consent): a citizen or company authorizes a third-party system, and revokes it."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from zhengtong.data.exchange.models import Consent
from zhengtong.data.exchange.public import consent_find, consent_give, consent_revoke, consents_of, subject_ref
from zhengtong.kernel.identity import services as identity_services
from zhengtong.kernel.identity.public import ANONYMOUS, Actor
from zhengtong.kernel.ledger.models import LedgerLeaf

from .conftest import ME, USCC, in_a_year, ledger

pytestmark = pytest.mark.django_db


def give(actor, client, **overrides):
    arguments = dict(actor=actor, api_client_id=client.id, service_codes=["ds-330106-rs-00001"],
                     fields=["insured_since", "name"], purpose="个人住房贷款审批", expires_at=in_a_year(90))
    arguments.update(overrides)
    return consent_give(**arguments)


def test_a_citizen_authorizes_a_system_and_the_ledger_records_it(people, services, bank):
    consent = give(people.actor("me"), bank)

    consent.refresh_from_db()
    me_ref = subject_ref("person", ME)
    assert consent.subject_kind == "person"
    assert consent.subject_ref == me_ref
    assert consent.citizen == people.me and consent.company is None
    assert consent.api_client == bank
    assert list(consent.services.values_list("code", flat=True)) == ["ds-330106-rs-00001"]
    assert consent.fields == ["name", "insured_since"]  # in the service's order
    assert consent.purpose == "个人住房贷款审批"
    assert consent.version == 1 and consent.revoked_at is None
    (entry,) = ledger("share.consent.given")
    assert entry == (me_ref, f"citizen:{people.users['me'].id}", {
        "consent": str(consent.public_id), "api_client": "浙商银行贷款审批系统", "api_client_id": str(bank.public_id),
        "services": ["ds-330106-rs-00001"], "fields": ["name", "insured_since"], "purpose": "个人住房贷款审批",
        "version": 1, "expires_at": consent.expires_at.isoformat(),
    })
    assert LedgerLeaf.objects.get(kind="share.consent.given").public_id == consent.ledger_leaf
    # The gateway finds it for the bank's calls about me on that service, and only that service.
    assert consent_find(api_client_id=bank.id, subject_ref=me_ref, service_id=services.shebao.id) == consent
    assert consent_find(api_client_id=bank.id, subject_ref=me_ref, service_id=services.market.id) is None


def test_a_company_authorizes_a_system_for_its_own_records(people, services, bank):
    consent = give(people.company_actor(), bank, service_codes=["ds-330106-sj-00001"], fields=["address"])

    assert consent.subject_kind == "company"
    assert consent.subject_ref == subject_ref("company", USCC)
    assert consent.company == people.company and consent.citizen is None
    assert ledger("share.consent.given")[0][0] == subject_ref("company", USCC)


def _inactive(services):
    services.shebao.is_active = False
    services.shebao.save()


def _no_scope_client(departments):
    return identity_services.api_client_create(name="某系统", department=None, scopes=["share"])[0]


def _switched_off_client(bank):
    bank.is_active = False
    bank.save()
    return bank


@pytest.mark.parametrize("case, field, message", [
    ("no_scope", "api_client", "not open to personal authorizations"),
    ("client_off", "api_client", "not open to personal authorizations"),
    ("client_unknown", "api_client", "not open to personal authorizations"),
    ("no_services", "services", "Choose at least one service."),
    ("unknown_service", "services", "There is no active service “ds-nope”."),
    ("inactive_service", "services", "There is no active service “ds-330106-rs-00001”."),
    ("company_service", "services", "holds no data about you"),
    ("no_fields", "fields", "Choose at least one field."),
    ("field_not_offered", "fields", "do not have the field(s) address"),
    ("no_purpose", "purpose", "Say what the system may use your data for."),
    ("long_purpose", "purpose", "at most 500 characters"),
    ("past", "expires_at", "must end in the future"),
    ("over_a_year", "expires_at", "at most one year"),
    ("bad_version", "version", "whole number from 1"),
])
def test_a_bad_consent_is_refused_with_a_message_and_nothing_is_saved(people, services, bank, departments, case,
                                                                       field, message):
    overrides = {
        "no_scope": lambda: {"api_client_id": _no_scope_client(departments).id},
        "client_off": lambda: {"api_client_id": _switched_off_client(bank).id},
        "client_unknown": lambda: {"api_client_id": 999999},
        "no_services": lambda: {"service_codes": []},
        "unknown_service": lambda: {"service_codes": ["ds-nope"]},
        "inactive_service": lambda: _inactive(services) or {},
        "company_service": lambda: {"service_codes": ["ds-330106-sj-00001"], "fields": ["name"]},
        "no_fields": lambda: {"fields": []},
        "field_not_offered": lambda: {"fields": ["name", "address"]},
        "no_purpose": lambda: {"purpose": "  "},
        "long_purpose": lambda: {"purpose": "贷" * 501},
        "past": lambda: {"expires_at": timezone.now() - timedelta(minutes=1)},
        "over_a_year": lambda: {"expires_at": in_a_year(368)},
        "bad_version": lambda: {"version": 0},
    }[case]()
    leaves = LedgerLeaf.objects.count()

    with pytest.raises(ValidationError) as raised:
        give(people.actor("me"), bank, **overrides)

    assert field in raised.value.message_dict
    assert any(message in text for text in raised.value.message_dict[field]), raised.value.message_dict
    assert Consent.objects.count() == 0
    assert LedgerLeaf.objects.count() == leaves


@pytest.mark.parametrize("who", ["ga_officer", "anonymous", "api_client"])
def test_only_a_citizen_or_company_gives_consent(people, services, bank, who):
    actor = {"ga_officer": lambda: people.actor("ga_officer"), "anonymous": lambda: ANONYMOUS,
             "api_client": lambda: Actor(kind="api_client", api_client_id=bank.id)}[who]()

    with pytest.raises(PermissionDenied):
        give(actor, bank)

    assert Consent.objects.count() == 0
    assert LedgerLeaf.objects.count() == 0


def test_revoking_takes_effect_at_once_and_is_recorded(people, services, bank):
    consent = give(people.actor("me"), bank)
    before = timezone.now()

    revoked = consent_revoke(actor=people.actor("me"), consent_id=consent.public_id)

    consent.refresh_from_db()
    assert consent.revoked_at is not None and before <= consent.revoked_at <= timezone.now()
    assert revoked.revoked_at == consent.revoked_at
    # The gateway's next look-up finds it revoked (and says so), not active.
    found = consent_find(api_client_id=bank.id, subject_ref=consent.subject_ref, service_id=services.shebao.id)
    assert found == consent and found.revoked_at is not None
    (entry,) = ledger("share.consent.revoked")
    assert entry == (consent.subject_ref, f"citizen:{people.users['me'].id}", {
        "consent": str(consent.public_id), "api_client": "浙商银行贷款审批系统", "api_client_id": str(bank.public_id),
        "services": ["ds-330106-rs-00001"], "revoked_at": consent.revoked_at.isoformat(),
    })


def test_revoking_twice_is_a_clear_error_and_changes_nothing(people, services, bank):
    consent = give(people.actor("me"), bank)
    consent_revoke(actor=people.actor("me"), consent_id=consent.public_id)
    consent.refresh_from_db()
    first = consent.revoked_at

    with pytest.raises(ValidationError) as raised:
        consent_revoke(actor=people.actor("me"), consent_id=consent.public_id)

    assert "already revoked" in raised.value.messages[0]
    consent.refresh_from_db()
    assert consent.revoked_at == first
    assert len(ledger("share.consent.revoked")) == 1


def test_an_expired_authorization_cannot_be_revoked(people, services, bank):
    consent = give(people.actor("me"), bank)
    Consent.objects.filter(pk=consent.pk).update(expires_at=timezone.now() - timedelta(days=1))  # time has passed

    with pytest.raises(ValidationError) as raised:
        consent_revoke(actor=people.actor("me"), consent_id=consent.public_id)

    assert "already ended" in raised.value.messages[0]
    consent.refresh_from_db()
    assert consent.revoked_at is None
    assert ledger("share.consent.revoked") == []


def test_nobody_else_can_revoke_my_consent(people, services, bank):
    consent = give(people.actor("me"), bank)

    for actor in (people.actor("other"), people.company_actor()):
        with pytest.raises(Consent.DoesNotExist):
            consent_revoke(actor=actor, consent_id=consent.public_id)
    with pytest.raises(PermissionDenied):
        consent_revoke(actor=people.actor("ga_officer"), consent_id=consent.public_id)

    consent.refresh_from_db()
    assert consent.revoked_at is None
    assert ledger("share.consent.revoked") == []


def test_consents_of_lists_my_own_newest_first(people, services, bank):
    first = give(people.actor("me"), bank, purpose="第一次")
    second = give(people.actor("me"), bank, purpose="第二次")
    give(people.actor("other"), bank, purpose="别人的")

    assert consents_of(actor=people.actor("me")) == [second, first]
    assert [c.purpose for c in consents_of(actor=people.actor("other"))] == ["别人的"]
    assert consents_of(actor=people.company_actor()) == []

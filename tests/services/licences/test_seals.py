import pytest

from zhengtong.kernel.crypto.public import verify_signature
from zhengtong.kernel.ledger.models import LedgerLeaf
from zhengtong.services.licences import services
from zhengtong.services.licences.errors import LicenceInvalid, LicencePermissionDenied
from zhengtong.services.licences.models import Seal, SealKeeper

pytestmark = pytest.mark.django_db


def kinds(subject: str) -> list[str]:
    return list(LedgerLeaf.objects.filter(subject=subject).order_by("id").values_list("kind", flat=True))


def test_a_leader_creates_a_seal_with_its_own_key_and_it_is_logged(people, english):
    leader = people.actor("sj_leader")
    seal = services.seal_create(actor=leader, department_id=leader.department_id, name="印章")
    assert (seal.department.code, seal.state, seal.unit.startswith("seal-330106-SJ-")) == ("330106-SJ", "active", True)
    assert kinds(f"seal:{seal.public_id}") == ["seal.created"]


@pytest.mark.parametrize("who", ["sj_case", "rs_leader", "citizen_a"])
def test_only_the_department_s_leader_creates_or_revokes_its_seals(people, sj_seal, english, who):
    actor = people.actor(who)
    with pytest.raises(LicencePermissionDenied) as refused:
        services.seal_create(actor=actor, department_id=people.actor("sj_leader").department_id, name="x")
    assert refused.value.message == "Only a leader of the department may create its e-seals."
    with pytest.raises(LicencePermissionDenied):
        services.seal_revoke(actor=actor, seal=sj_seal, reason="lost")
    assert Seal.objects.count() == 1 and Seal.objects.get().state == "active"


def test_seal_use_by_someone_without_the_right_is_refused_and_logged(people, sj_seal, english):
    with pytest.raises(LicencePermissionDenied) as refused:
        services.seal_use(actor=people.actor("sj_case"), seal=sj_seal, data=b"contract", purpose="test")
    assert refused.value.message == ("You may not use the seal “西湖区市场监督管理局电子印章”: only its department's "
                                     "leaders and the keepers they granted may.")
    assert kinds(f"seal:{sj_seal.public_id}") == ["seal.created", "seal.use_refused"]
    with pytest.raises(LicencePermissionDenied):  # staff of another department, even a leader
        services.seal_use(actor=people.actor("rs_leader"), seal=sj_seal, data=b"contract")


def test_a_granted_keeper_signs_and_each_use_is_logged(people, sj_seal, english):
    keeper = people.actor("sj_case")
    services.seal_keeper_grant(actor=people.actor("sj_leader"), seal=sj_seal, user_id=keeper.user_id)
    signature = services.seal_use(actor=keeper, seal=sj_seal, data=b"contract", purpose="test")
    assert signature.key_id.startswith(sj_seal.unit + "/")
    assert verify_signature(b"contract", signature)
    assert not verify_signature(b"contracT", signature)
    assert kinds(f"seal:{sj_seal.public_id}") == ["seal.created", "seal.keeper_granted", "seal.used"]


def test_a_keeper_must_be_of_the_seal_s_department(people, sj_seal, english):
    with pytest.raises(LicenceInvalid) as refused:
        services.seal_keeper_grant(actor=people.actor("sj_leader"), seal=sj_seal,
                                   user_id=people.actor("rs_case").user_id)
    assert refused.value.message == "Only staff of the seal's department may keep its seal."
    assert not SealKeeper.objects.exists()


def test_a_revoked_seal_signs_nothing(people, sj_seal, english):
    leader = people.actor("sj_leader")
    with pytest.raises(LicenceInvalid):
        services.seal_revoke(actor=leader, seal=sj_seal, reason="  ")
    services.seal_revoke(actor=leader, seal=sj_seal, reason="印章遗失")
    sj_seal.refresh_from_db()
    assert (sj_seal.state, sj_seal.revoked_reason, sj_seal.revoked_at is not None) == ("revoked", "印章遗失", True)
    with pytest.raises(LicenceInvalid) as refused:
        services.seal_use(actor=leader, seal=sj_seal, data=b"x")
    assert refused.value.message == "The seal “西湖区市场监督管理局电子印章” was revoked (印章遗失) and signs nothing."
    with pytest.raises(LicenceInvalid) as again:
        services.seal_revoke(actor=leader, seal=sj_seal, reason="again")
    assert again.value.message == "The seal is already revoked."

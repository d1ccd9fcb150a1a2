"""A citizen's resident ID, mobile and address are encrypted at rest; the ID is found by its blind index."""

import pytest
from django.db import IntegrityError, connection, transaction

from zhengtong.kernel.crypto.fields import blind_index_filter
from zhengtong.kernel.identity.models import Citizen, User

from .factories import PASSWORD, RESIDENT_ID, CitizenFactory

LOGIN = "/account/login/"


@pytest.mark.django_db
def test_no_personal_value_is_stored_in_plain_text(citizen):
    with connection.cursor() as cursor:
        cursor.execute("SELECT resident_id, resident_id_index, mobile, address FROM identity_citizen")
        raw_row = " ".join(str(value) for value in cursor.fetchone())
        cursor.execute("SELECT username FROM identity_user")
        usernames = " ".join(row[0] for row in cursor.fetchall())
    for plain in (RESIDENT_ID, "13812345678", "文三路"):
        assert plain not in raw_row
    assert RESIDENT_ID not in usernames
    # Read back through the model, the values are the originals.
    loaded = Citizen.objects.get(pk=citizen.pk)
    assert (loaded.resident_id, loaded.mobile, loaded.address) == (RESIDENT_ID, "13812345678", "浙江省杭州市西湖区文三路90号")


@pytest.mark.django_db
def test_a_citizen_is_found_by_resident_id_through_the_blind_index(citizen):
    assert Citizen.objects.get(blind_index_filter(Citizen, "resident_id", RESIDENT_ID.lower())).pk == citizen.pk
    assert not Citizen.objects.filter(blind_index_filter(Citizen, "resident_id", "360426199101010071")).exists()


@pytest.mark.django_db
def test_the_same_resident_id_cannot_be_registered_twice(citizen):
    with pytest.raises(IntegrityError), transaction.atomic():
        CitizenFactory(password=None)
    assert (Citizen.objects.count(), User.objects.count()) == (1, 1)


@pytest.mark.django_db
def test_a_citizen_signs_in_with_the_legacy_15_digit_form_of_their_id(client, citizen):
    # 110102199101010078 was issued as 110102910101007 before 1999.
    response = client.post(LOGIN, {"username": "110102910101007", "password": PASSWORD})

    assert response.status_code == 302
    assert client.get("/api/v1/me").json()["display_name"] == "张三丰"

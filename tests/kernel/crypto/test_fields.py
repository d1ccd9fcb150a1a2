"""EncryptedTextField and BlindIndexField on a real table (SQLite and PostgreSQL alike)."""

import base64

import pytest
from django.core.exceptions import FieldDoesNotExist, FieldError
from django.db import connection, models
from django.test.utils import isolate_apps

from zhengtong.kernel.crypto.fields import (
    BlindIndexField,
    EncryptedTextField,
    blind_index_filter,
    normalize_digits,
    normalize_upper,
)
from zhengtong.kernel.crypto.public import DecryptionError, blind_index, field_keys_rotate


class SampleResident(models.Model):
    name = models.CharField(max_length=50)
    id_number = EncryptedTextField()
    id_number_index = BlindIndexField(source="id_number", normalize=normalize_upper)
    phone = EncryptedTextField(null=True, blank=True)
    phone_index = BlindIndexField(source="phone", normalize=normalize_digits)
    address = EncryptedTextField(null=True, blank=True, context="identity.resident.address")

    class Meta:
        app_label = "crypto"
        # The fixture below makes the table; unmanaged so no migration (and no syncdb) touches it.
        managed = False


TABLE = SampleResident._meta.db_table
ID_NUMBER = "11010519491231002X"
PHONE = "138-0013-8000"


@pytest.fixture(scope="module", autouse=True)
def sample_table(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        with connection.schema_editor() as editor:
            editor.create_model(SampleResident)
        yield
        with connection.schema_editor() as editor:
            editor.delete_model(SampleResident)


def raw_rows():
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {connection.ops.quote_name(TABLE)}")
        return cursor.fetchall()


def create(**values):
    resident = SampleResident(**values)
    resident.save()
    return resident


@pytest.mark.django_db
def test_values_are_encrypted_at_rest_and_read_back():
    resident = create(name="张三", id_number=ID_NUMBER, phone=PHONE, address="杭州市西湖区文三路 1 号")
    loaded = SampleResident.objects.get(pk=resident.pk)
    assert (loaded.id_number, loaded.phone, loaded.address) == (ID_NUMBER, PHONE, "杭州市西湖区文三路 1 号")

    (row,) = raw_rows()
    stored = " ".join(str(value) for value in row)
    for plaintext in [ID_NUMBER, ID_NUMBER.lower(), PHONE, "13800138000", "杭州", "西湖区"]:
        assert plaintext not in stored
    # Nor inside the decoded tokens: the columns hold ciphertext, not encoded plaintext.
    for value in row:
        if isinstance(value, str) and len(value) > 64:
            raw = base64.b64decode(value)
            assert ID_NUMBER.encode() not in raw and PHONE.encode() not in raw
            assert "杭州".encode() not in raw


@pytest.mark.django_db
def test_equality_lookup_through_the_blind_index():
    alice = create(name="a", id_number=ID_NUMBER, phone=PHONE)
    create(name="b", id_number="110105194912310029", phone="13900139000")
    # Normalised before indexing: case and spaces in the query do not matter.
    found = SampleResident.objects.filter(blind_index_filter(SampleResident, "id_number", " 11010519491231002x "))
    assert list(found) == [alice]
    found = SampleResident.objects.filter(blind_index_filter(SampleResident, "phone", "(138) 0013 8000"))
    assert list(found) == [alice]
    assert not SampleResident.objects.filter(
        blind_index_filter(SampleResident, "id_number", "110105194912310037")
    ).exists()
    assert alice.id_number_index == blind_index(ID_NUMBER, purpose="crypto.sampleresident.id_number")
    with pytest.raises(FieldDoesNotExist):
        blind_index_filter(SampleResident, "address", "x")


@pytest.mark.django_db
def test_null_values_stay_null_and_are_found_as_null():
    resident = create(name="c", id_number=ID_NUMBER, phone=None)
    (row,) = raw_rows()
    columns = [column.column for column in SampleResident._meta.concrete_fields]
    assert row[columns.index("phone")] is None and row[columns.index("phone_index")] is None
    assert list(SampleResident.objects.filter(phone__isnull=True)) == [resident]
    assert list(SampleResident.objects.filter(blind_index_filter(SampleResident, "phone", None))) == [resident]


@pytest.mark.django_db
def test_sql_lookups_on_ciphertext_are_refused():
    create(name="d", id_number=ID_NUMBER)
    with pytest.raises(FieldError):
        list(SampleResident.objects.filter(id_number=ID_NUMBER))
    with pytest.raises(FieldError):
        list(SampleResident.objects.filter(id_number__startswith="110"))


@pytest.mark.django_db
def test_rotation_keeps_old_rows_readable():
    old = create(name="old", id_number=ID_NUMBER, phone=PHONE)
    field_keys_rotate()
    new = create(name="new", id_number="110105194912310029", phone="13900139000")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT name, id_number FROM {connection.ops.quote_name(TABLE)} ORDER BY name")
        stored = {name: base64.b64decode(value) for name, value in cursor.fetchall()}
    key_id = {name: token[3 : 3 + token[2]] for name, token in stored.items()}
    assert key_id["new"] != key_id["old"]
    assert SampleResident.objects.get(pk=old.pk).id_number == ID_NUMBER
    assert SampleResident.objects.get(pk=new.pk).id_number == "110105194912310029"
    # The blind index is unchanged by rotating data keys, so old rows are still found.
    assert SampleResident.objects.filter(blind_index_filter(SampleResident, "id_number", ID_NUMBER)).get() == old
    # Saving an old row again re-encrypts it under the new key.
    reloaded = SampleResident.objects.get(pk=old.pk)
    reloaded.save()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id_number FROM {connection.ops.quote_name(TABLE)} WHERE id = %s", [old.pk])
        (value,) = cursor.fetchone()
    token = base64.b64decode(value)
    assert token[3 : 3 + token[2]] == key_id["new"]


@pytest.mark.django_db
def test_a_token_moved_to_another_column_does_not_decrypt():
    resident = create(name="e", id_number=ID_NUMBER, phone=PHONE)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {connection.ops.quote_name(TABLE)} SET phone = id_number WHERE id = %s", [resident.pk])
    with pytest.raises(DecryptionError):
        SampleResident.objects.get(pk=resident.pk)


@pytest.mark.django_db
def test_bulk_create_values_and_update():
    SampleResident.objects.bulk_create(
        [SampleResident(name="f", id_number=ID_NUMBER), SampleResident(name="g", id_number="110105194912310029")]
    )
    assert sorted(SampleResident.objects.values_list("id_number", flat=True)) == ["110105194912310029", ID_NUMBER]
    assert SampleResident.objects.filter(blind_index_filter(SampleResident, "id_number", ID_NUMBER)).get().name == "f"
    SampleResident.objects.filter(name="g").update(phone=PHONE)
    assert SampleResident.objects.get(name="g").phone == PHONE


def test_context_and_deconstruction():
    id_number = SampleResident._meta.get_field("id_number")
    address = SampleResident._meta.get_field("address")
    assert id_number.context == "crypto.sampleresident.id_number"
    assert address.context == "identity.resident.address"
    assert address.deconstruct()[3]["context"] == "identity.resident.address"
    assert "context" not in id_number.deconstruct()[3]

    index = SampleResident._meta.get_field("id_number_index")
    name, path, args, kwargs = index.deconstruct()
    assert path == "zhengtong.kernel.crypto.fields.BlindIndexField"
    assert kwargs == {"source": "id_number", "normalize": normalize_upper}
    rebuilt = BlindIndexField(*args, **kwargs)
    assert (rebuilt.max_length, rebuilt.db_index, rebuilt.editable, rebuilt.null) == (64, True, False, True)


@isolate_apps("zhengtong.kernel.crypto")
def test_a_blind_index_of_a_missing_field_fails_the_checks():
    class Broken(models.Model):
        secret = EncryptedTextField()
        secret_index = BlindIndexField(source="secrett")

        class Meta:
            app_label = "crypto"

    errors = Broken._meta.get_field("secret_index").check()
    assert [error.id for error in errors] == ["crypto.E001"]

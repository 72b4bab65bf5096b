"""Field-key rotation (issue 15 item 2): `xinfang rotate-field-key` re-encrypts every encrypted
column and rebuilds the blind indexes under the new key; the old key is accepted until it
finishes; an interrupted run resumes; afterwards the old key is retired and everything is
still readable and searchable."""

from __future__ import annotations

import secrets

import pytest
from cryptography.fernet import InvalidToken
from django.core.management import CommandError, call_command
from django.db import connection

from tests.conftest import sh
from tests.scenario import register
from xinfang.core.crypto import encrypted_fields, key_fernet
from xinfang.ops import keyrotation
from xinfang.ops.models import KeyRotation
from xinfang.petitions import access, filters
from xinfang.petitions.models import Matter, Petitioner

pytestmark = pytest.mark.django_db

PHONES = [f"1390000{i:04d}" for i in range(7)]


def _raw(pk: int, column: str) -> str:
    with connection.cursor() as cur:
        cur.execute(f"SELECT {column} FROM petitions_petitioner WHERE id = %s", [pk])
        return str(cur.fetchone()[0])


def _found(county, phone: str) -> list[int]:
    officer = county.users["registrar"]
    return list(filters.find(officer, filters.MatterFilter(phone=phone, reason="核对信访人"))
                .values_list("pk", flat=True))


def test_the_registry_lists_every_encrypted_column_and_blind_index():
    reg = {em.label: em for em in encrypted_fields()}
    p = reg["petitions.Petitioner"]
    assert set(p.encrypted) == {"name", "id_number", "phone", "address"}
    assert set(p.indexes) == {("id_index", "id_number", "id"), ("phone_index", "phone", "phone"),
                              ("name_index", "name", "name")}
    assert "accused_name" in reg["petitions.Matter"].encrypted
    pre = reg["practice.PreRegistration"]
    assert ("phone_index", "phone", "phone") in pre.indexes


def test_rotate_interrupt_resume_then_retire_the_old_key(county, settings, frozen, monkeypatch):
    old_key = settings.FIELD_KEY
    matters = [register(county, sh(2026, 3, 1), phone=ph) for ph in PHONES[:6]]
    report = register(county, sh(2026, 3, 1), phone=PHONES[6], klass="report",
                      accused_name="李某某")
    matters.append(report)
    assert _found(county, PHONES[0]) == [matters[0].pk]

    # The operator sets the new key and keeps the old one as XINFANG_FIELD_KEY_OLD.
    new_key = secrets.token_urlsafe(48)
    settings.FIELD_KEY, settings.FIELD_KEYS_OLD = new_key, [old_key]
    # Everything written under the old key is still read and found.
    assert Petitioner.objects.get(matter=matters[0]).phone == PHONES[0]
    assert _found(county, PHONES[3]) == [matters[3].pk]

    # Half-way: the third batch fails (the process is killed, the database goes away …).
    calls = {"n": 0}
    real_update = keyrotation._update

    def flaky(em, columns, params):
        calls["n"] += em.label == "petitions.Petitioner"
        if em.label == "petitions.Petitioner" and calls["n"] == 3:  # the third batch
            real_update(em, columns, params[:1])  # one row written, then the failure
            raise RuntimeError("interrupted")
        real_update(em, columns, params)

    monkeypatch.setattr(keyrotation, "_update", flaky)
    with pytest.raises(RuntimeError, match="interrupted"):
        keyrotation.rotate(batch=2)
    monkeypatch.setattr(keyrotation, "_update", real_update)
    petitioners = list(Petitioner.objects.order_by("pk").values_list("pk", flat=True))
    progress = KeyRotation.objects.get(model_label="petitions.Petitioner")
    assert progress.finished_at is None and progress.last_pk == petitioners[3]
    # Rows 1–4 are under the new key; row 5's batch was rolled back whole: still the old key.
    key_fernet(new_key).decrypt(_raw(petitioners[0], "phone").encode())
    with pytest.raises(InvalidToken):
        key_fernet(new_key).decrypt(_raw(petitioners[4], "phone").encode())
    # Meanwhile the platform works: rotated and unrotated rows are read and found, and a new
    # registration is written under the new key.
    assert _found(county, PHONES[1]) == [matters[1].pk]
    assert _found(county, PHONES[5]) == [matters[5].pk]
    late = register(county, sh(2026, 3, 1), phone="13900009999")

    # Resume: the command goes on after the last committed batch, then verifies.
    call_command("rotate-field-key", "--batch", "2")
    assert KeyRotation.objects.filter(finished_at__isnull=True).count() == 0
    # each row walked once over the two runs (the rolled-back batch again, not the first two)
    assert KeyRotation.objects.get(model_label="petitions.Petitioner").rows == len(petitioners) + 1

    # The old key is retired: everything is readable and searchable under the new key alone.
    settings.FIELD_KEYS_OLD = []
    for m, phone in zip(matters, PHONES, strict=True):
        p = Petitioner.objects.get(matter=m)
        assert (p.phone, p.name) == (phone, "王大明")
        assert _found(county, phone) == [m.pk]
        with pytest.raises(InvalidToken):
            key_fernet(old_key).decrypt(_raw(p.pk, "phone").encode())
    assert Matter.objects.get(pk=report.pk).accused_name == "李某某"
    assert _found(county, "13900009999") == [late.pk]
    ident = filters.MatterFilter(id_number=Petitioner.objects.get(matter=late).id_number,
                                   name="王大明", reason="核对信访人")
    assert len(filters.find(county.users["registrar"], ident)) == len(matters) + 1
    assert access.get_matter_for_citizen(late.query_code, "13900009999").pk == late.pk


def test_a_value_no_key_decrypts_stops_the_rotation_and_is_left_alone(county, settings, frozen):
    m = register(county, sh(2026, 3, 1))
    pk = Petitioner.objects.get(matter=m).pk
    foreign = key_fernet(secrets.token_urlsafe(48)).encrypt(b"x").decode()
    with connection.cursor() as cur:
        cur.execute("UPDATE petitions_petitioner SET address = %s WHERE id = %s", [foreign, pk])
    settings.FIELD_KEY, settings.FIELD_KEYS_OLD = secrets.token_urlsafe(48), [settings.FIELD_KEY]
    with pytest.raises(CommandError, match="无法解密"):
        call_command("rotate-field-key")
    assert _raw(pk, "address") == foreign


def test_without_an_old_key_the_command_says_what_to_do(db, settings):
    settings.FIELD_KEYS_OLD = []
    with pytest.raises(CommandError, match="XINFANG_FIELD_KEY_OLD"):
        call_command("rotate-field-key")

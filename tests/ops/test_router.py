"""The replica router's choices, without a replica (the streaming test is test_replica.py):
only the case data is ever read on the standby; who a person is and what they may see — users,
roles, bodies, divisions (org), sessions, devices, audit, jobs — is always the primary's, so a
deactivated or moved account never keeps its old scope for as long as the standby lags."""

from __future__ import annotations

from django.apps import apps
from django.conf import settings

from xinfang.core.dbrouter import REPLICA, ReplicaRouter, replica_reads

CASE_DATA = {"petitions", "practice"}


def test_only_the_case_data_is_read_on_the_replica_and_never_org():
    # Widening this set is a decision about stale reads: docs/operations.md, "A read replica".
    assert set(settings.REPLICA_APPS) == CASE_DATA
    router = ReplicaRouter()
    models = apps.get_models(include_auto_created=True)
    assert {m._meta.app_label for m in models} >= {"org", "auth", "sessions", "audit", "ops"}
    with replica_reads():
        chosen = {m._meta.label: router.db_for_read(m) for m in models}
    for label, db in chosen.items():
        assert db == (REPLICA if label.split(".")[0] in CASE_DATA else "default"), label
    assert chosen["org.User"] == chosen["org.Body"] == chosen["org.Division"] == "default"
    # Outside a replica page, and for every write, nothing is routed there.
    for m in models:
        assert router.db_for_read(m) == "default"
        assert router.db_for_write(m) == "default"
    assert router.allow_migrate(REPLICA, "petitions") is False

"""/metrics for this machine or a token holder only; request latency by view; JSON log lines
that carry the request's id."""

from __future__ import annotations

import json
import logging

import pytest

from xinfang.core.logs import JsonFormatter

pytestmark = pytest.mark.django_db


def test_metrics_answer_a_local_scrape_with_latency_by_view_and_overdue_counts(client):
    client.get("/healthz")
    r = client.get("/metrics")
    assert r.status_code == 200
    text = r.content.decode()
    assert 'xinfang_http_request_duration_seconds_count{method="GET",status="200",view="healthz"}' in text
    for name in ("xinfang_job_queue_depth", "xinfang_overdue_matters",
                 "xinfang_job_failures_total_recorded", "xinfang_worker_heartbeat_age_seconds",
                 "xinfang_sweep_last_success_age_seconds"):
        assert f"\n{name} " in text or text.startswith(f"{name} "), name


def test_metrics_count_failed_and_retrying_notification_deliveries_by_channel(client):
    from xinfang.notify.models import Delivery

    def row(status: str, channel: str) -> None:
        Delivery.objects.create(kind="corrected", audience=Delivery.Audience.STAFF,
                                channel=channel, recipient="a@example.gov.cn",
                                recipient_label="甲", text="…", status=status)

    text = client.get("/metrics").content.decode()
    assert "\nxinfang_notify_deliveries_failed 0.0\n" in text  # present before any failure
    assert "\nxinfang_notify_deliveries_retrying 0.0\n" in text
    for status, channel in [("failed", "email"), ("failed", "email"), ("failed", "none"),
                            ("retrying", "sms"), ("sent", "email"), ("skipped", "sms")]:
        row(status, channel)
    text = client.get("/metrics").content.decode()
    assert "\nxinfang_notify_deliveries_failed 3.0\n" in text
    assert '\nxinfang_notify_deliveries_failed_by_channel{channel="email"} 2.0\n' in text
    assert '\nxinfang_notify_deliveries_failed_by_channel{channel="none"} 1.0\n' in text
    assert "\nxinfang_notify_deliveries_retrying 1.0\n" in text
    assert '\nxinfang_notify_deliveries_retrying_by_channel{channel="sms"} 1.0\n' in text
    assert 'xinfang_notify_deliveries_retrying_by_channel{channel="email"}' not in text


def test_metrics_are_hidden_from_a_forwarded_or_remote_request_without_the_token(
        client, settings):
    # A reverse proxy on this host forwards from 127.0.0.1 too: its headers give it away.
    assert client.get("/metrics", HTTP_X_FORWARDED_FOR="203.0.113.9").status_code == 404
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 404
    settings.XINFANG_METRICS_TOKEN = "s3cret-token-for-prometheus"
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3",
                      HTTP_AUTHORIZATION="Bearer wrong").status_code == 404
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3",
                      HTTP_AUTHORIZATION="Bearer s3cret-token-for-prometheus").status_code == 200


def test_every_response_carries_a_request_id_and_a_sane_one_from_the_proxy_is_kept(client):
    mine = client.get("/healthz")["X-Request-ID"]
    assert len(mine) == 32
    assert client.get("/healthz", HTTP_X_REQUEST_ID="nginx-7f3a9c01")["X-Request-ID"] == \
        "nginx-7f3a9c01"
    forged = client.get("/healthz", HTTP_X_REQUEST_ID="x\nInjected: 1")["X-Request-ID"]
    assert "\n" not in forged and len(forged) == 32


def test_json_log_lines_carry_the_request_id(client, caplog, monkeypatch):
    from xinfang.ops import health

    def broken() -> dict[str, object]:
        logging.getLogger("xinfang.test").error("缓存不可用")
        raise RuntimeError("down")

    monkeypatch.setattr(health, "check_cache", broken)
    with caplog.at_level(logging.ERROR, logger="xinfang.test"):
        r = client.get("/healthz", HTTP_X_REQUEST_ID="req-12345678")
    [record] = [rec for rec in caplog.records if rec.name == "xinfang.test"]
    assert record.request_id == "req-12345678"  # set by the console handler's filter
    line = json.loads(JsonFormatter().format(record))
    assert r.status_code == 503
    assert line["request_id"] == "req-12345678" and line["message"] == "缓存不可用"
    assert line["level"] == "ERROR" and line["logger"] == "xinfang.test"

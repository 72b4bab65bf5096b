"""The scaling figure is a median over interleaved rounds, not one lucky run."""

from __future__ import annotations

from xinfang.demo.bench import scaling_summary


def _round(small: float, large: float) -> dict[int, dict[str, dict[str, float]]]:
    keys = ["queue_handler_ms", "queue_officer_ms", "queue_officer_overdue_ms",
            "matter_page_ms", "queue_page_http_ms", "queue_page_handler_http_ms",
            "matter_page_http_ms"]
    return {10: {k: {"p95": small} for k in keys}, 100: {k: {"p95": large} for k in keys}}


def test_one_slow_round_does_not_move_the_ratio():
    # The machine stalls during one round of the large size: the median ignores it.
    rounds = [_round(4.0, 5.0), _round(4.2, 30.0), _round(3.8, 5.2)]
    out = scaling_summary([10, 100], rounds)
    assert out["p95_ms"]["queue_officer_ms"] == {10: 4.0, 100: 5.2}
    assert out["ratio_p95"]["queue_officer_ms"] == 1.3
    assert out["rounds"] == 3


def test_intake_writers_at_several_desks_use_their_own_countys_number_sequence(county):
    """bench-intake --counties: each desk is a 信访局 of its own county, so its registrations
    draw from that county's gapless 信访件编号 sequence, not the first county's."""
    from xinfang.demo import intake_bench
    from xinfang.petitions import services

    at = intake_bench.desks(county, 3)
    assert at[0].holder == county.xinfang and at[0].user == county.users["registrar"]
    numbers = []
    for i, desk in enumerate(at):
        reg = next(intake_bench.registrations(county, i, desk.villages))
        m = services.register(reg, holder=desk.holder, user=desk.user)
        assert m.division.path.startswith(desk.holder.division.path + "/")
        numbers.append(m.number)
    assert [n[:6] for n in numbers] == ["990121", "990122", "990123"]
    assert all(n.endswith("000001") for n in numbers)

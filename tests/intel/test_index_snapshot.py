"""The same-matter index built once by the ``similarity`` job and memory-mapped by the web
workers (issue 19 item 5: at 1M matters each worker built its own, minutes and 1.3 GB).

With a snapshot a request never builds the index; what it finds is what an index built in
the process finds (same ids, same scores), caught up with the matters registered after the
snapshot; sealed matters stay out of the text search; a database that changed under the
snapshot is noticed as before."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.conftest import sh
from tests.petitions.helpers import ID_A, ID_B, register
from xinfang.domain import idcard
from xinfang.ops import jobs
from xinfang.ops.models import JobRun
from xinfang.petitions import intel
from xinfang.petitions.intel import index, index_store
from xinfang.petitions.models import Matter

from .test_intel import _reg_post

pytestmark = pytest.mark.django_db

PARKING = ("阳光小区物业乱收停车费", "阳光小区物业公司每月多收停车费200元，业主多次反映无果。")
ROWS = [
    PARKING,
    ("幸福小区物业乱收停车费", "幸福小区物业公司从今年起每月多收停车费200元，业主多次反映无果。"),
    ("建筑工地拖欠农民工工资", "我们在工地干了半年，老板拖欠工资不给。"),
    ("孩子入学划片不合理", "我家孩子按户籍应在本片区入学，却被划到很远的学校。"),
    ("阳光小区电梯长期故障", "阳光小区电梯坏了三个月，物业一直不修。"),
    ("物业公司强行停水停电", "物业为催缴物业费对业主停水停电。"),
]
LATER = [
    ("阳光小区物业又乱收停车费", "阳光小区物业公司多收停车费，每月200元，业主反映无果。"),
    ("幸福小区电梯坏了没人修", "幸福小区电梯坏了两个月，物业不修。"),
]
QUERIES = [PARKING, LATER[1], ("阳光小区停车费", "物业公司多收停车费200元")]


def _matters(county, rows, day):
    out = []
    for n, (title, content) in enumerate(rows):
        out.append(register(county, sh(2026, 5, day + n), title=title, content=content,
                            division=county.villages[0],
                            id_number=idcard.make(f"99012119800101{day * 10 + n:03d}"),
                            phone=f"1360000{day * 10 + n:04d}"))
    return out


def _found(county):
    """What the 查重 panel and the repeat finder are given: (id, score) of each query."""
    got = []
    for title, content in QUERIES:
        got.append([(c.matter.pk, c.score) for c in
                    intel.same_matter_candidates(title, content, county.villages[0], k=8)])
    earlier = list(Matter.objects.order_by("pk"))
    got.append(sorted(index.person_matter_scores(*LATER[0], earlier)[0].items()))
    return got


def _no_build(monkeypatch):
    def fail():
        raise AssertionError("a request built the index")

    monkeypatch.setattr(index, "_build", fail)


def test_with_a_snapshot_a_request_maps_it_catches_up_and_finds_what_a_built_index_finds(
        county, frozen, monkeypatch):
    _matters(county, ROWS, 1)
    got = index_store.build()
    assert got["rows"] == len(ROWS) and (index_store.root() / got["version"] / "text.npy").exists()
    later = _matters(county, LATER, 20)  # registered after the snapshot
    intel.reset()
    with monkeypatch.context() as m:
        _no_build(m)
        mapped = _found(county)
        ix = intel.similarity_index()
    assert ix.snapshot == got["version"] and ix.max_pk == later[-1].pk
    assert ix.index.mapped and len(ix) == len(ROWS) + len(LATER)
    assert later[0].pk in [pk for pk, _ in mapped[0]]  # caught up with the newer matters
    # The same ids and scores as an index built in the process (no snapshot).
    (index_store.root() / "CURRENT").unlink()
    intel.reset()
    built = _found(county)
    assert not intel.similarity_index().snapshot
    assert mapped == built and any(mapped)


def test_a_web_request_with_a_snapshot_builds_nothing(login, county, frozen, monkeypatch):
    _matters(county, ROWS, 1)
    index_store.build()
    intel.reset()
    _no_build(monkeypatch)
    c = login(county.users["officer"])
    page = c.post(reverse("register_repeats"), _reg_post(county, p0_id_number="",
                                                        p0_phone="")).content.decode()
    first = Matter.objects.get(title=PARKING[0])
    assert first.number in page and "同一事项" in page
    # A returning petitioner's registration links the repeat, from the snapshot.
    original = register(county, sh(2026, 6, 1), title=PARKING[0], content=PARKING[1],
                        id_number=ID_A, phone="13800138000")
    again = register(county, sh(2026, 6, 10), title=PARKING[0], content=PARKING[1],
                     id_number=ID_A, phone="13800138000")
    assert again.repeat_of_id == original.pk


def test_sealed_matters_stay_out_of_the_text_search_with_a_snapshot(county, frozen, monkeypatch):
    _matters(county, ROWS, 1)
    report = register(county, sh(2026, 5, 12), klass="report", accused_name="某所长",
                      title="举报某所长收受红包", content="某所长办证收取红包，请求查处。",
                      id_number=ID_B, phone="13900139000")
    index_store.build()
    intel.reset()
    _no_build(monkeypatch)
    ix = intel.similarity_index()
    assert ix.snapshot and ix.is_sealed(str(report.pk))
    assert not ix.is_sealed(str(Matter.objects.get(title=PARKING[0]).pk))
    hits = intel.same_matter_candidates(report.title, report.content, report.division)
    assert report.pk not in [c.matter.pk for c in hits]


def test_a_newer_snapshot_replaces_the_mapped_one(county, frozen, monkeypatch):
    _matters(county, ROWS, 1)
    first = index_store.build()["version"]
    intel.reset()
    assert intel.similarity_index().snapshot == first
    assert index_store.build()["kept"] == first  # nothing new: the job keeps it
    second = index_store.build(force=True)["version"]
    monkeypatch.setattr(index_store, "CHECK_SECONDS", -1)
    assert intel.similarity_index().snapshot == second
    assert {p.name for p in index_store.root().iterdir()} == {"CURRENT", first, second}


def test_a_database_changed_under_the_snapshot_is_noticed(county, frozen):
    rows = _matters(county, ROWS, 1)
    version = index_store.build()["version"]
    intel.reset()
    assert intel.similarity_index().snapshot == version
    JobRun.objects.all().delete()
    # Another text under the same id (a restored or another database).
    Matter.objects.filter(pk=rows[0].pk).update(title="县医院多收检查费用", content="医生开了没做的检查。")
    assert rows[0].pk not in [c.matter.pk for c in intel.same_matter_candidates(*PARKING, None)]
    ix = intel.similarity_index()
    assert not ix.snapshot  # that snapshot is refused: built here, the job asked for
    assert JobRun.objects.filter(job="similarity", status="queued").exists()
    hits = intel.same_matter_candidates("县医院多收检查费用", "医生开了没做的检查。", None)
    assert rows[0].pk in [c.matter.pk for c in hits]


def test_without_a_snapshot_the_process_builds_as_before_and_asks_for_the_job(county, frozen):
    _matters(county, ROWS, 1)
    intel.reset()
    assert len(intel.similarity_index()) == len(ROWS)
    run = JobRun.objects.get(job="similarity")
    assert run.status == "queued"
    jobs.execute(run.pk)
    run.refresh_from_db()
    assert run.status == "succeeded" and run.result["rows"] == len(ROWS)
    assert index_store.current() is not None

"""The Hugging Face Hub loader and the model_hub models, against a fake Hub on 127.0.0.1."""

from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from huggingface_hub import HfApi

from tests.fakes import hf_hub_server as fake
from uptake.errors import SourceError
from uptake.models import build_models
from uptake.sources.huggingface_hub import EXPAND, load_hf_models, resolve_endpoint
from uptake.study import load_study

hf_hub = fake.hf_hub  # the fixture
Reply = fake.Reply
ROOT = Path(__file__).resolve().parent.parent
TOKEN = "hf_" + "Secret0Token1Value2Abc3Def4Ghi5Jk"  # noqa: S105 (a fake)

# id, createdAt, tags, library_name, downloads
MODELS = [
    ("org/pt-a", "2024-04-10T08:00:00.000Z", ["pytorch", "transformers", "safetensors"], "transformers", 100),
    ("org/tf-b", "2024-04-20T08:00:00.000Z", ["tf"], None, 0),
    ("org/pt-b", "2024-05-02T08:00:00.000Z", ["pytorch"], None, 5),
    ("org/both-a", "2024-05-03T08:00:00.000Z", ["pytorch", "tf", "transformers"], "transformers", 42),
    ("org/tf-a", "2024-05-04T08:00:00.000Z", ["tf", "keras"], "keras", 7),
]  # fmt: skip


def add_models(hub, models=MODELS):
    for model in models:
        hub.add_model(*model)


def raw_models(warehouse) -> list[tuple]:
    return warehouse.con.execute(
        "select model_id, created_at, tags, library_name, downloads, first_seen_tag"
        " from raw.hf_models order by model_id"
    ).fetchall()


def rejects(warehouse) -> list[tuple]:
    return warehouse.con.execute(
        "select source, item, reason from meta.rejects order by item"
    ).fetchall()


def listings(warehouse) -> list[tuple]:
    return warehouse.con.execute(
        "select tag, newest_created_at from raw.hf_tag_listings order by tag"
    ).fetchall()


def page_of(request) -> str:
    return "next" if "cursor" in request.query else "first"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.removesuffix("Z")).replace(microsecond=0)


def test_loads_exact_rows_over_several_pages_for_two_tags(warehouse, hf_hub):
    add_models(hf_hub)
    hf_hub.add_model("org/other", "2024-05-05T08:00:00.000Z", ["gguf"])

    result = load_hf_models(warehouse, ["tf", "pytorch"], page_size=2, sleep=[].append)

    assert raw_models(warehouse) == [
        ("org/both-a", at("2024-05-03T08:00:00"), ["pytorch", "tf", "transformers"], "transformers", 42, "pytorch"),
        ("org/pt-a", at("2024-04-10T08:00:00"), ["pytorch", "transformers", "safetensors"], "transformers", 100, "pytorch"),
        ("org/pt-b", at("2024-05-02T08:00:00"), ["pytorch"], None, 5, "pytorch"),
        ("org/tf-a", at("2024-05-04T08:00:00"), ["tf", "keras"], "keras", 7, "tf"),
        ("org/tf-b", at("2024-04-20T08:00:00"), ["tf"], None, 0, "tf"),
    ]  # fmt: skip
    assert (result["rows"], result["rejected"]) == (5, 0)
    assert result["models_by_tag"] == {"pytorch": 3, "tf": 3}
    assert listings(warehouse) == [
        ("pytorch", at("2024-05-03T08:00:00")),
        ("tf", at("2024-05-04T08:00:00")),
    ]
    assert [(r.tag, page_of(r)) for r in hf_hub.requests] == [
        ("pytorch", "first"), ("pytorch", "next"), ("tf", "first"), ("tf", "next"),
    ]  # fmt: skip
    first = hf_hub.requests[0].query
    assert first == {
        "filter": ["pytorch"],
        "sort": ["createdAt"],
        "direction": ["-1"],
        "limit": ["2"],
        "expand": list(EXPAND),
    }
    assert all(r.authorization is None for r in hf_hub.requests)  # no token: none sent
    assert warehouse.con.execute(
        "select status, rows_loaded, items_rejected from meta.loads"
    ).fetchall() == [("succeeded", 5, 0)]


def test_rerun_lists_only_models_newer_than_those_held(warehouse, hf_hub):
    add_models(hf_hub)
    load_hf_models(warehouse, ["pytorch", "tf"], page_size=2, sleep=[].append)
    hf_hub.requests.clear()
    hf_hub.add_model("org/pt-new", "2024-06-01T08:00:00.000Z", ["pytorch"], None, 1)
    hf_hub.add_model("org/both-new", "2024-06-02T08:00:00.000Z", ["pytorch", "tf"], None, 2)
    hf_hub.models[3]["downloads"] = 50  # org/both-a, inside the overlap: re-listed

    result = load_hf_models(
        warehouse, ["pytorch", "tf"], page_size=2, overlap=timedelta(hours=1), sleep=[].append
    )

    # pytorch: [both-new, pt-new] [both-a, pt-b <- older than 2024-05-03T07:00: stop]
    # tf:      [both-new, tf-a]   [both-a <- older than 2024-05-04T07:00: stop]
    assert [(r.tag, page_of(r)) for r in hf_hub.requests] == [
        ("pytorch", "first"), ("pytorch", "next"), ("tf", "first"), ("tf", "next"),
    ]  # fmt: skip
    assert result["models_by_tag"] == {"pytorch": 3, "tf": 2}
    assert result["rows"] == 4  # both-new, pt-new, both-a, tf-a
    rows = {row[0]: row for row in raw_models(warehouse)}
    assert len(rows) == 7
    assert rows["org/both-a"][4:] == (50, "pytorch")  # downloads updated, first tag kept
    assert rows["org/both-new"][5] == "pytorch"
    assert listings(warehouse) == [
        ("pytorch", at("2024-06-02T08:00:00")),
        ("tf", at("2024-06-02T08:00:00")),
    ]


def test_rerun_with_nothing_new_requests_one_page_per_tag(warehouse, hf_hub):
    add_models(hf_hub)
    load_hf_models(warehouse, ["pytorch", "tf"], page_size=2, sleep=[].append)
    hf_hub.requests.clear()

    result = load_hf_models(warehouse, ["pytorch", "tf"], page_size=2, overlap=timedelta(0))

    assert [(r.tag, page_of(r)) for r in hf_hub.requests] == [
        ("pytorch", "first"), ("tf", "first"),
    ]  # fmt: skip
    assert result["models_by_tag"] == {"pytorch": 1, "tf": 1}  # the newest, re-listed
    assert len(raw_models(warehouse)) == 5


def test_429_then_503_on_a_later_page_waits_retry_after_then_the_backoff(warehouse, hf_hub):
    add_models(hf_hub)
    hf_hub.script("pytorch", Reply.rate_limited(retry_after=7), Reply.error(503), page=2)
    sleeps = []

    result = load_hf_models(warehouse, ["pytorch"], page_size=2, sleep=sleeps.append)

    assert sleeps == [7, 2]
    assert [page_of(r) for r in hf_hub.requests_for("pytorch")] == ["first"] + ["next"] * 3
    assert result["models_by_tag"] == {"pytorch": 3}
    assert rejects(warehouse) == []


def test_rate_limited_forever_rejects_the_tag_and_the_other_tag_loads(warehouse, hf_hub):
    add_models(hf_hub)
    hf_hub.always("tf", Reply.rate_limited(retry_after=3600))
    sleeps = []

    result = load_hf_models(warehouse, ["pytorch", "tf"], page_size=2, sleep=sleeps.append)

    assert sleeps == [120.0] * 4  # Retry-After honoured, capped
    assert len(hf_hub.requests_for("tf")) == 5
    [(source, item, reason)] = rejects(warehouse)
    assert (source, item) == ("huggingface_hub", "tf")
    assert reason.startswith("rate limited by the Hub: http://127.0.0.1:")
    assert reason.endswith("answered HTTP 429 on all 5 attempts")
    assert [row[0] for row in raw_models(warehouse)] == ["org/both-a", "org/pt-a", "org/pt-b"]
    assert listings(warehouse) == [("pytorch", at("2024-05-03T08:00:00"))]  # tf: not listed
    assert result["rejected"] == 1
    assert warehouse.con.execute("select status, rows_loaded from meta.loads").fetchall() == [
        ("succeeded", 3)
    ]

    # Once the Hub answers again, tf is listed from the start; pytorch only from its mark.
    del hf_hub._always["tf"]
    hf_hub.requests.clear()
    load_hf_models(warehouse, ["pytorch", "tf"], page_size=2, overlap=timedelta(0))
    assert [page_of(r) for r in hf_hub.requests_for("tf")] == ["first", "next"]
    assert [page_of(r) for r in hf_hub.requests_for("pytorch")] == ["first"]
    assert len(raw_models(warehouse)) == 5


def test_malformed_json_rejects_the_tag_and_a_bad_model_rejects_only_itself(warehouse, hf_hub):
    add_models(hf_hub)
    hf_hub.add_model("org/no-date", "yesterday", ["pytorch"])
    hf_hub.script("tf", Reply.malformed())

    result = load_hf_models(warehouse, ["pytorch", "tf"], page_size=10, sleep=[].append)

    [bad_model, bad_page] = [(item, reason) for _, item, reason in rejects(warehouse)]
    assert bad_model == ("org/no-date", "no valid createdAt: 'yesterday'")
    assert bad_page[0] == "tf"
    assert bad_page[1].startswith(f"bad JSON from {hf_hub.endpoint}/api/models?filter=tf&")
    assert "(HTTP 200)" in bad_page[1]
    assert [row[0] for row in raw_models(warehouse)] == ["org/both-a", "org/pt-a", "org/pt-b"]
    assert result["rejected"] == 2
    assert [tag for tag, _ in listings(warehouse)] == ["pytorch"]


def test_a_listing_out_of_created_order_is_refused(warehouse, hf_hub):
    older_first = [
        {"_id": "1", "id": "org/old", "createdAt": "2024-01-01T00:00:00.000Z", "tags": ["jax"]},
        {"_id": "2", "id": "org/new", "createdAt": "2024-02-01T00:00:00.000Z", "tags": ["jax"]},
    ]
    hf_hub.script("jax", Reply.json(older_first))

    load_hf_models(warehouse, ["jax"], sleep=[].append)

    [(_, item, reason)] = rejects(warehouse)
    assert (item, reason) == (
        "jax",
        "the Hub listed 'jax' out of createdAt order at org/new; cannot list incrementally",
    )
    assert raw_models(warehouse) == []


def test_a_next_link_to_another_host_is_not_followed(warehouse, hf_hub):
    page = [{"_id": "1", "id": "org/a", "createdAt": "2024-01-01T00:00:00.000Z", "tags": ["jax"]}]
    link = {"Link": '<http://hub.invalid/api/models?cursor=x>; rel="next"'}
    hf_hub.script("jax", Reply(200, Reply.json(page).body, link))

    load_hf_models(warehouse, ["jax"], sleep=[].append)

    [(_, item, reason)] = rejects(warehouse)
    assert item == "jax"
    assert reason.startswith("the Hub's next-page link http://hub.invalid/")
    assert len(hf_hub.requests) == 1


def test_the_token_is_sent_but_never_stored_or_reported(warehouse, hf_hub, monkeypatch):
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    add_models(hf_hub)
    hf_hub.always("tf", Reply.error(401))

    result = load_hf_models(warehouse, ["pytorch", "tf"], sleep=[].append)

    assert {r.authorization for r in hf_hub.requests} == {f"Bearer {TOKEN}"}
    assert "HTTP 401" in rejects(warehouse)[0][2]
    stored = warehouse.con.execute(
        "select string_agg(t::varchar, ' ') from ("
        " select * from meta.loads union all by name select * from meta.rejects"
        " union all by name select * from raw.hf_models"
        " union all by name select * from raw.hf_tag_listings) as t"
    ).fetchone()[0]
    assert "org/pt-a" in stored
    assert TOKEN not in stored
    assert TOKEN not in repr(result)


def test_endpoint_comes_from_the_argument_then_hf_endpoint(monkeypatch):
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9/")
    assert resolve_endpoint() == "http://127.0.0.1:9"
    assert resolve_endpoint("https://hub.example/") == "https://hub.example"
    with pytest.raises(SourceError, match="must be http"):
        resolve_endpoint("file:///etc")


def test_the_fake_answers_huggingface_hubs_own_pager_alike(hf_hub):
    add_models(hf_hub)

    api = HfApi(endpoint=hf_hub.endpoint, token=False)
    listed = api.list_models(filter="pytorch", sort="created_at", limit=3, expand=list(EXPAND))

    assert [(m.id, m.created_at.date(), m.library_name) for m in listed] == [
        ("org/both-a", date(2024, 5, 3), "transformers"),
        ("org/pt-b", date(2024, 5, 2), None),
        ("org/pt-a", date(2024, 4, 10), "transformers"),
    ]


# -- the model_hub segment and marts.model_hub_support ----------------------------------

BUILD_MODELS = [
    ("org/pt-a", "2024-04-10T08:00:00.000Z", ["pytorch", "transformers"], "transformers", 1),
    ("org/tf-b", "2024-04-20T08:00:00.000Z", ["tf"], None, 1),
    ("org/pt-b", "2024-05-02T08:00:00.000Z", ["pytorch"], None, 1),
    ("org/both-a", "2024-05-03T08:00:00.000Z", ["pytorch", "tf"], "transformers", 1),
    ("org/tf-a", "2024-05-04T08:00:00.000Z", ["tf", "keras"], "keras", 1),
    ("org/jax-a", "2024-05-06T08:00:00.000Z", ["jax", "flax"], None, 1),
    ("org/pt-c", "2024-05-08T08:00:00.000Z", ["pytorch", "safetensors"], None, 1),
    ("org/keras-only", "2024-05-09T08:00:00.000Z", ["keras"], "keras", 1),
    ("org/gguf", "2024-05-10T08:00:00.000Z", ["gguf"], None, 1),
    ("org/pt-d", "2024-06-02T08:00:00.000Z", ["pytorch"], None, 1),
]


def build_with_study(warehouse, hub, **load_options):
    warehouse.sync_study(load_study(ROOT / "study.toml"))
    add_models(hub, BUILD_MODELS)
    load_hf_models(warehouse, sleep=[].append, **load_options)  # the study's tags
    build_models(warehouse.con)


def segment_rows(warehouse) -> list[tuple]:
    return warehouse.con.execute(
        "select technology, month, value, n_observations from intermediate.int_segment__model_hub"
        " order by technology, month"
    ).fetchall()


def support_rows(warehouse) -> list[tuple]:
    return warehouse.con.execute(
        "select rivalry, month, support, technology, models, round(share, 3), n_total"
        " from marts.model_hub_support order by rivalry, month, support, technology"
    ).fetchall()


def test_model_hub_segment_counts_new_models_per_technology_and_month(warehouse, hf_hub):
    build_with_study(warehouse, hf_hub)

    april, may, june = date(2024, 4, 1), date(2024, 5, 1), date(2024, 6, 1)
    # n_observations: models with a study framework tag (org/gguf has none): 2, 6, 1.
    assert segment_rows(warehouse) == [
        ("jax", april, 0, 2), ("jax", may, 1, 6), ("jax", june, 0, 1),
        ("keras", april, 0, 2), ("keras", may, 2, 6), ("keras", june, 0, 1),
        ("pytorch", april, 1, 2), ("pytorch", may, 3, 6), ("pytorch", june, 1, 1),
        ("tensorflow", april, 1, 2), ("tensorflow", may, 3, 6), ("tensorflow", june, 0, 1),
    ]  # fmt: skip
    assert warehouse.con.execute(
        "select distinct segment, is_count, is_censored, source"
        " from intermediate.int_segment__model_hub"
    ).fetchall() == [("model_hub", True, False, "huggingface_hub")]
    assert sorted(tag for tag, _ in listings(warehouse)) == [
        "jax", "keras", "pytorch", "tensorflow", "tf",
    ]  # fmt: skip


def test_model_hub_support_splits_new_models_into_only_and_both(warehouse, hf_hub):
    build_with_study(warehouse, hf_hub)

    april, may, june = date(2024, 4, 1), date(2024, 5, 1), date(2024, 6, 1)
    assert support_rows(warehouse) == [
        ("jax-vs-tensorflow", april, "both", None, 0, 0.0, 1),
        ("jax-vs-tensorflow", april, "only", "jax", 0, 0.0, 1),
        ("jax-vs-tensorflow", april, "only", "tensorflow", 1, 1.0, 1),
        ("jax-vs-tensorflow", may, "both", None, 0, 0.0, 4),
        ("jax-vs-tensorflow", may, "only", "jax", 1, 0.25, 4),
        ("jax-vs-tensorflow", may, "only", "tensorflow", 3, 0.75, 4),
        # June: no model supports JAX or TensorFlow, so no month to share out.
        ("pytorch-vs-jax", april, "both", None, 0, 0.0, 1),
        ("pytorch-vs-jax", april, "only", "jax", 0, 0.0, 1),
        ("pytorch-vs-jax", april, "only", "pytorch", 1, 1.0, 1),
        ("pytorch-vs-jax", may, "both", None, 0, 0.0, 4),
        ("pytorch-vs-jax", may, "only", "jax", 1, 0.25, 4),
        ("pytorch-vs-jax", may, "only", "pytorch", 3, 0.75, 4),
        ("pytorch-vs-jax", june, "both", None, 0, 0.0, 1),
        ("pytorch-vs-jax", june, "only", "jax", 0, 0.0, 1),
        ("pytorch-vs-jax", june, "only", "pytorch", 1, 1.0, 1),
        ("pytorch-vs-tensorflow", april, "both", None, 0, 0.0, 2),
        ("pytorch-vs-tensorflow", april, "only", "pytorch", 1, 0.5, 2),
        ("pytorch-vs-tensorflow", april, "only", "tensorflow", 1, 0.5, 2),
        ("pytorch-vs-tensorflow", may, "both", None, 1, 0.2, 5),
        ("pytorch-vs-tensorflow", may, "only", "pytorch", 2, 0.4, 5),
        ("pytorch-vs-tensorflow", may, "only", "tensorflow", 2, 0.4, 5),
        ("pytorch-vs-tensorflow", june, "both", None, 0, 0.0, 1),
        ("pytorch-vs-tensorflow", june, "only", "pytorch", 1, 1.0, 1),
        ("pytorch-vs-tensorflow", june, "only", "tensorflow", 0, 0.0, 1),
    ]
    # 2 of 5: the published 95% Wilson interval is [0.118, 0.769].
    assert warehouse.con.execute(
        "select round(share_low, 3), round(share_high, 3) from marts.model_hub_support"
        " where rivalry = 'pytorch-vs-tensorflow' and month = '2024-05-01'"
        " and technology = 'pytorch'"
    ).fetchone() == (0.118, 0.769)


def test_a_tag_never_listed_leaves_its_technologies_out_rather_than_undercounted(warehouse, hf_hub):
    hf_hub.always("keras", Reply.rate_limited())

    build_with_study(warehouse, hf_hub)

    assert {technology for technology, *_ in segment_rows(warehouse)} == {"jax", "pytorch"}
    assert {row[0] for row in support_rows(warehouse)} == {"pytorch-vs-jax"}

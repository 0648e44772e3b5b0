"""FakeHub repos with the shard and name styles of issue 10, point 6, end to end.

The repos (``hfollama_widgets/testing/catalogue/``) carry mradermacher's ``….gguf.partXofY``
byte splits (their cards: join with ``cat``), TheBloke's ``….gguf-split-a`` (e.g. the card of
TheBloke/Falcon-180B-Chat-GGUF: ``cat …-split-* > ….gguf``), unsloth's ``UD-Q4_K_XL``, an
``…-IQ3_S-imat.gguf``, a quant-first name, a folder-only label and a multi-GB ``…-imatrix.gguf``
model. Sources of each rule: hfollama_widgets/splits.py, quants.py, hub_tags.py.

Checked through ``huggingface_hub.HfApi`` (the tree and model info FakeHub serves), through
:meth:`Hub.list_gguf_files` (one row per byte split, tags) and through FakeOllama pulling every
offered tag from FakeHub's ``/v2`` registry (and being refused the tags not offered).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from huggingface_hub import HfApi
from huggingface_hub.hf_api import RepoFile

import hfollama_widgets as hfw
from hfollama_widgets.errors import PullError
from hfollama_widgets.hub import Hub
from hfollama_widgets.listing import to_records
from hfollama_widgets.quants import IMATRIX_MAX_BYTES
from hfollama_widgets.testing import FakeHub, FakeOllama
from hfollama_widgets.testing.catalogue import load_catalogue
from hfollama_widgets.testing.labels import sidecar_kind

MRADERMACHER = "mradermacher/Llama-3.3-70B-Instruct-GGUF"
THEBLOKE = "TheBloke/Falcon-180B-Chat-GGUF"
STYLES = "example-org/Name-Styles-8B-GGUF"
IMAT = "Name-Styles-8B-MAX-NEO-D_AU-IQ3_S-imat.gguf"
NEW_REPOS = (MRADERMACHER, THEBLOKE, STYLES)


@pytest.fixture(autouse=True)
def _no_ambient_token(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture()
def hub(fake_hub: FakeHub) -> Hub:
    return Hub(endpoint=fake_hub.url, token=False)


@pytest.fixture()
def client(fake_hub: FakeHub) -> Iterator[hfw.Client]:
    # pull_speed: the simulated transfer of the 25-42 GB blobs takes ms, not 30 s
    with FakeOllama(hub=fake_hub, pull_speed=1e12) as fake, hfw.Client(fake.url) as c:
        yield c


def _rows(hub: Hub, repo_id: str) -> dict[str, dict[str, Any]]:
    return {r["filename"]: r for r in to_records(hub.list_gguf_files(repo_id))}


@pytest.mark.parametrize("repo_id", NEW_REPOS)
def test_huggingface_hub_sees_the_files_with_lfs_sizes(fake_hub: FakeHub, repo_id: str) -> None:
    api = HfApi(endpoint=fake_hub.url, token=False)
    tree = {
        e.path: e for e in api.list_repo_tree(repo_id, recursive=True) if isinstance(e, RepoFile)
    }
    expected = load_catalogue()[repo_id].files
    assert set(tree) == {f.path for f in expected}
    for f in expected:
        assert tree[f.path].size == f.size
        assert (tree[f.path].lfs is not None) == f.lfs
    big = [f for f in expected if f.size > 10_000_000]
    assert big and all(tree[f.path].lfs is not None for f in big), "big parts are LFS files"
    info = api.model_info(repo_id, files_metadata=True)
    assert info.id == repo_id and {s.rfilename for s in info.siblings or []} == set(tree)


def test_mradermacher_parts_are_one_row_and_the_single_file_pulls(
    hub: Hub, client: hfw.Client
) -> None:
    rows = _rows(hub, MRADERMACHER)
    part1 = "Llama-3.3-70B-Instruct.Q6_K.gguf.part1of2"
    assert set(rows) == {
        "Llama-3.3-70B-Instruct.Q2_K.gguf",
        "Llama-3.3-70B-Instruct.Q4_K_M.gguf",
        part1,
    }
    split = rows[part1]
    sizes = {f.path: f.size for f in load_catalogue()[MRADERMACHER].files}
    assert split["files"] == [part1, part1.replace("part1", "part2")]
    assert split["size_bytes"] == sizes[part1] + sizes[part1.replace("part1", "part2")]
    assert split["shards"] == 2 and split["quantization"] == "Q6_K"
    assert split["ollama_pullable"] is False and split["model_ref"] is None
    assert "cat" in split["note"] and "Llama-3.3-70B-Instruct.Q6_K.gguf" in split["note"]
    assert rows["Llama-3.3-70B-Instruct.Q4_K_M.gguf"]["ollama_tag"] == "Q4_K_M"
    _pull_offered_refuse_rest(client, MRADERMACHER, rows, refused=["Q6_K"])


def test_thebloke_split_letters_are_one_row_each_and_nothing_pulls(
    hub: Hub, client: hfw.Client
) -> None:
    rows = _rows(hub, THEBLOKE)
    assert set(rows) == {
        "falcon-180b-chat.Q2_K.gguf-split-a",
        "falcon-180b-chat.Q4_K_M.gguf-split-a",
    }
    q4 = rows["falcon-180b-chat.Q4_K_M.gguf-split-a"]
    assert q4["shards"] == 3 and len(q4["files"]) == 3
    assert q4["size_bytes"] == sum(
        f.size for f in load_catalogue()[THEBLOKE].files if "Q4_K_M" in f.path
    )
    assert not q4["ollama_pullable"] and "3 parts" in q4["note"]
    assert "2 parts" in rows["falcon-180b-chat.Q2_K.gguf-split-a"]["note"]
    _pull_offered_refuse_rest(client, THEBLOKE, rows, refused=["Q4_K_M", "Q2_K", "latest"])


def test_name_styles_offer_only_tags_the_registry_accepts(hub: Hub, client: hfw.Client) -> None:
    rows = _rows(hub, STYLES)
    tags = {n: r["ollama_tag"] for n, r in rows.items()}
    assert tags == {
        "Name-Styles-8B-UD-Q4_K_XL.gguf": "UD-Q4_K_XL",
        IMAT: IMAT,
        "Q4_K_M-Name-Styles-8B.gguf": "Q4_K_M-Name-Styles-8B.gguf",
        "BF16/Name-Styles-8B-16.gguf": "Name-Styles-8B-16.gguf",
        "Name-Styles-8B-Q5_K_M-imatrix.gguf": "Name-Styles-8B-Q5_K_M-imatrix.gguf",
    }, "the multi-GB -imatrix.gguf is a model row; the 5 MB imatrix.gguf is not"
    assert rows["BF16/Name-Styles-8B-16.gguf"]["quantization"] == "BF16"
    assert rows["Name-Styles-8B-UD-Q4_K_XL.gguf"]["quantization"] == "UD-Q4_K_XL"
    _pull_offered_refuse_rest(client, STYLES, rows, refused=["IQ3_S", "Q4_K_M", "Q5_K_M", "BF16"])


def _pull_offered_refuse_rest(
    client: hfw.Client, repo_id: str, rows: dict[str, dict[str, Any]], refused: list[str]
) -> None:
    """Every offered ``model_ref`` pulls through FakeOllama from FakeHub's registry; each tag of
    ``refused`` (labels the listing does not offer) is refused with a typed pull error."""
    offered = [r["model_ref"] for r in rows.values() if r["ollama_pullable"]]
    for ref in offered:
        assert client.pull(ref) == {"status": "success"}, ref
    offered_tags = {ref.rsplit(":", 1)[1].lower() for ref in offered}
    for tag in refused:
        assert tag.lower() not in offered_tags
        with pytest.raises(PullError):
            client.pull(f"hf.co/{repo_id}:{tag}")


def test_fakehub_imatrix_threshold_matches_the_listing() -> None:
    assert sidecar_kind("imatrix.gguf", 4_988_146) == "imatrix"
    assert sidecar_kind("M-Q5_K_M-imatrix.gguf", IMATRIX_MAX_BYTES) == "model"
    assert sidecar_kind("M-Q5_K_M-imatrix.gguf") == "imatrix"

"""Repo ids and hf.co model references (pure)."""

from __future__ import annotations

import pytest
from huggingface_hub.errors import HFValidationError
from huggingface_hub.utils import validate_repo_id as hf_validate_repo_id
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from hfollama_widgets.errors import HFOllamaError, InvalidModelRefError
from hfollama_widgets.quants import QUANT_TYPES
from hfollama_widgets.refs import (
    ModelRef,
    is_hf_model,
    model_ref,
    normalize_tag,
    parse_model_ref,
    to_model_ref,
    validate_repo_id,
)

REPO = "bartowski/Llama-3.2-1B-Instruct-GGUF"


class TestValidateRepoId:
    @pytest.mark.parametrize(
        "repo_id",
        [
            REPO,
            "TheBloke/Mistral-7B-Instruct-v0.2-GGUF",
            "unsloth/Qwen3-4B-GGUF",
            "Qwen/Qwen2.5-7B-Instruct-GGUF",
            "a/b",
            "_x/_y_",
            "owner/" + "n" * 96,
            "user.name/model",  # fine on the Hub, not for Ollama
        ],
    )
    def test_valid_on_the_hub(self, repo_id: str) -> None:
        assert validate_repo_id(repo_id) == repo_id
        hf_validate_repo_id(repo_id)  # agrees with huggingface_hub

    @pytest.mark.parametrize(
        ("repo_id", "words"),
        [
            ("Llama-3.2-1B-Instruct-GGUF", "owner part is missing"),
            ("a/b/c", "exactly one"),
            ("/name", "owner part is empty"),
            ("owner/", "name part is empty"),
            ("own er/name", "' '"),
            ("owner/na:me", "':'"),
            ("owner/café", "'é'"),
            ("owner/" + "n" * 97, "at most 96"),
            ("-owner/name", "starts or ends"),
            ("owner/name.", "starts or ends"),
            ("owner/na--me", "'--'"),
            ("owner/na..me", "'..'"),
            ("owner/name.git", ".git"),
            (" owner/name", "whitespace"),
            ("https://huggingface.co/owner/name", "URL"),
            ("hf.co/owner/name", "URL"),
            ("", "empty"),
        ],
    )
    def test_hub_rules(self, repo_id: str, words: str) -> None:
        with pytest.raises(InvalidModelRefError) as info:
            validate_repo_id(repo_id)
        assert words in str(info.value)
        assert info.value.fix
        assert isinstance(info.value, ValueError)
        assert isinstance(info.value, HFOllamaError)

    def test_non_string(self) -> None:
        with pytest.raises(InvalidModelRefError):
            validate_repo_id(None)  # type: ignore[arg-type]

    def test_dot_in_owner_is_refused_for_ollama_with_a_fix(self) -> None:
        with pytest.raises(InvalidModelRefError) as info:
            validate_repo_id("user.name/model-GGUF", for_ollama=True)
        message = str(info.value)
        assert "'user.name'" in message and "Ollama" in message and "dot" in message
        assert "ollama create" in (info.value.fix or "")

    def test_dot_in_name_is_fine_for_ollama(self) -> None:
        assert validate_repo_id("owner/Llama-3.2-1B", for_ollama=True)

    @pytest.mark.parametrize(
        "repo_id", ["owner/" + "n" * 81, "o" * 81 + "/name", "o" * 96 + "/name"]
    )
    def test_ollama_length_limit(self, repo_id: str) -> None:
        validate_repo_id(repo_id)  # the Hub accepts it
        with pytest.raises(InvalidModelRefError) as info:
            validate_repo_id(repo_id, for_ollama=True)
        assert "80" in str(info.value) and "18278" in str(info.value)

    def test_80_is_fine_for_ollama(self) -> None:
        assert validate_repo_id("o" * 80 + "/" + "n" * 80, for_ollama=True)


class TestModelRef:
    @pytest.mark.parametrize(
        ("quant", "tag"),
        [
            ("Q4_K_M", "Q4_K_M"),
            ("q4_k_m", "Q4_K_M"),
            ("ud-q2_k_xl", "UD-Q2_K_XL"),
            ("iq3_m", "IQ3_M"),
            ("q4_0_4_4", "Q4_0_4_4"),
            ("Llama-3.2-3B-Instruct-IQ3_M.gguf", "Llama-3.2-3B-Instruct-IQ3_M.gguf"),
            ("latest", "latest"),
            ("IQ3_S-imat", "IQ3_S-imat"),
        ],
    )
    def test_tags(self, quant: str, tag: str) -> None:
        assert model_ref(REPO, quant) == f"hf.co/{REPO}:{tag}"

    def test_without_tag(self) -> None:
        assert model_ref(REPO) == f"hf.co/{REPO}"

    @pytest.mark.parametrize("tag", ["sub/file.gguf", "-Q4", ".Q4", "Q4 K", "", "t" * 81, "a:b"])
    def test_bad_tags(self, tag: str) -> None:
        with pytest.raises(InvalidModelRefError):
            model_ref(REPO, tag)

    def test_validates_for_ollama(self) -> None:
        with pytest.raises(InvalidModelRefError, match="dot"):
            model_ref("mistral.ai/Model-GGUF", "Q4_K_M")

    def test_normalize_tag(self) -> None:
        assert normalize_tag("q6_k_l") == "Q6_K_L"
        assert normalize_tag("model-q4_k_m.GGUF") == "model-q4_k_m.GGUF"


class TestParseModelRef:
    @pytest.mark.parametrize(
        ("ref", "host", "tag"),
        [
            (f"hf.co/{REPO}", "hf.co", None),
            (f"hf.co/{REPO}:Q4_K_M", "hf.co", "Q4_K_M"),
            (f"hf.co/{REPO}:q4_k_m", "hf.co", "Q4_K_M"),
            (f"huggingface.co/{REPO}:IQ3_M", "huggingface.co", "IQ3_M"),
            (f"https://huggingface.co/{REPO}", "huggingface.co", None),
            (f"http://hf.co/{REPO}:q8_0", "hf.co", "Q8_0"),
            (f"HTTPS://HF.CO/{REPO}", "hf.co", None),
            (f"https://huggingface.co/{REPO}/", "huggingface.co", None),
            (f"  hf.co/{REPO}:Q4_K_M  ", "hf.co", "Q4_K_M"),
            (f"https://www.huggingface.co/{REPO}", "huggingface.co", None),
            (f"https://huggingface.co/{REPO}/tree/main", "huggingface.co", None),
            (
                f"https://huggingface.co/{REPO}/blob/main/Llama-3.2-1B-Instruct-Q4_K_M.gguf",
                "huggingface.co",
                "Llama-3.2-1B-Instruct-Q4_K_M.gguf",
            ),
            (f"hf.co/{REPO}:Llama-3.2-1B-Instruct-IQ3_M.gguf", "hf.co", None),
        ],
    )
    def test_forms(self, ref: str, host: str, tag: str | None) -> None:
        parsed = parse_model_ref(ref)
        assert parsed.host == host
        assert parsed.repo_id == REPO
        if ":" in ref.split("/")[-1] and tag is None:  # a file-name tag is kept as is
            assert parsed.quantization == ref.rsplit(":", 1)[1]
        else:
            assert parsed.quantization == tag
        assert is_hf_model(ref)

    def test_model_ref_fields_and_str(self) -> None:
        parsed = parse_model_ref(f"hf.co/{REPO}:q4_k_m")
        assert parsed == ModelRef("hf.co", REPO, "Q4_K_M")
        assert str(parsed) == parsed.ref == f"hf.co/{REPO}:Q4_K_M"
        assert (parsed.owner, parsed.name) == ("bartowski", "Llama-3.2-1B-Instruct-GGUF")
        with pytest.raises(AttributeError):
            parsed.host = "x"  # type: ignore[misc]

    @pytest.mark.parametrize(
        "ref",
        [
            "llama3.2",
            "llama3.2:1b",
            "registry.ollama.ai/library/llama3",
            "library/llama3:8b",
            REPO,
            "hf.co",
            "hf.co/",
            "hf.co/bartowski",
            "hf.co/bartowski/",
            "ftp://hf.co/a/b",
            "hf.co/a/b:Q4:K",
            "hf.co/a:x/b",
            f"https://huggingface.co/{REPO}/blob/main/README.md",
            f"https://huggingface.co/{REPO}/discussions",
            "hf.co/a/b--c",
            "hf.co/a/b:",
            "hf.co/a/b:-x",
            "",
        ],
    )
    def test_not_hf(self, ref: str) -> None:
        with pytest.raises(InvalidModelRefError):
            parse_model_ref(ref)
        assert is_hf_model(ref) is False

    def test_is_hf_model_never_raises(self) -> None:
        assert is_hf_model(None) is False  # type: ignore[arg-type]
        assert is_hf_model(42) is False  # type: ignore[arg-type]


class TestToModelRef:
    def test_repo_id(self) -> None:
        assert to_model_ref(REPO) == f"hf.co/{REPO}"
        assert to_model_ref(REPO, "q5_k_m") == f"hf.co/{REPO}:Q5_K_M"

    def test_ref_keeps_its_host(self) -> None:
        assert to_model_ref(f"huggingface.co/{REPO}:q8_0") == f"huggingface.co/{REPO}:Q8_0"
        assert to_model_ref(f"https://hf.co/{REPO}", "Q8_0") == f"hf.co/{REPO}:Q8_0"

    def test_same_tag_twice_is_fine(self) -> None:
        assert to_model_ref(f"hf.co/{REPO}:q8_0", "Q8_0") == f"hf.co/{REPO}:Q8_0"

    def test_conflicting_tags(self) -> None:
        with pytest.raises(InvalidModelRefError, match="Conflicting"):
            to_model_ref(f"hf.co/{REPO}:Q8_0", "Q4_K_M")

    def test_ollama_rules_apply_to_refs_too(self) -> None:
        assert parse_model_ref("hf.co/user.name/model").repo_id == "user.name/model"
        with pytest.raises(InvalidModelRefError, match="dot"):
            to_model_ref("hf.co/user.name/model")

    def test_non_hf_name(self) -> None:
        with pytest.raises(InvalidModelRefError):
            to_model_ref("llama3.2")


# --- properties ---------------------------------------------------------------------------

_OWNER = st.from_regex(r"\A[A-Za-z0-9_]([A-Za-z0-9_-]{0,78}[A-Za-z0-9_])?\Z")
_NAME = st.from_regex(r"\A[A-Za-z0-9_]([A-Za-z0-9_.-]{0,78}[A-Za-z0-9_])?\Z")
_TAGS = st.one_of(
    st.none(),
    st.sampled_from(sorted(QUANT_TYPES)).map(str.lower),
    st.sampled_from(sorted(QUANT_TYPES)),
    st.sampled_from(["UD-Q4_K_XL", "ud-iq1_s", "latest", "IQ3_S-imat"]),
    st.from_regex(r"\A[A-Za-z0-9_][A-Za-z0-9_.-]{0,70}\.gguf\Z"),
)


@st.composite
def ollama_repo_ids(draw: st.DrawFn) -> str:
    repo_id = f"{draw(_OWNER)}/{draw(_NAME)}"
    assume("--" not in repo_id and ".." not in repo_id and not repo_id.lower().endswith(".git"))
    return repo_id


@settings(max_examples=300, deadline=None)
@given(ollama_repo_ids(), _TAGS, st.sampled_from(["", "https://", "http://"]))
def test_model_ref_round_trips(repo_id: str, tag: str | None, scheme: str) -> None:
    ref = model_ref(repo_id, tag)
    parsed = parse_model_ref(scheme + ref)
    assert parsed.host == "hf.co"
    assert parsed.repo_id == repo_id
    assert parsed.ref == ref
    if tag is None:
        assert parsed.quantization is None
    else:
        assert parsed.quantization is not None
        assert parsed.quantization.lower() == tag.lower()
    assert to_model_ref(ref) == ref
    assert to_model_ref(repo_id, tag) == ref
    hf_validate_repo_id(repo_id)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=120))
def test_parse_only_raises_invalid_model_ref(text: str) -> None:
    try:
        parsed = parse_model_ref(text)
    except InvalidModelRefError:
        assert is_hf_model(text) is False
    else:
        assert parsed.host in ("hf.co", "huggingface.co")
        assert parse_model_ref(parsed.ref) == parsed


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(["hf.co/", "https://huggingface.co/", "huggingface.co/"]), st.text())
def test_parse_hf_prefixed_text(prefix: str, text: str) -> None:
    try:
        parsed = parse_model_ref(prefix + text)
    except InvalidModelRefError:
        return
    # Whatever we accept is a repo id the Hub accepts.
    try:
        hf_validate_repo_id(parsed.repo_id)
    except HFValidationError as exc:  # pragma: no cover - the assertion message
        raise AssertionError(parsed) from exc

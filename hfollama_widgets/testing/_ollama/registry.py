"""FakeOllama's registry client: fetch manifests and small blobs the way Ollama does.

Real Ollama has no Hugging Face code: for ``hf.co/{user}/{repo}:{tag}`` it requests
``https://hf.co/v2/{user}/{repo}/manifests/{tag}``. Here the hosts ``hf.co`` and
``huggingface.co`` map to the FakeHub URL. Failures come back as the exact texts Ollama puts in
its pull stream (``pull model manifest: file does not exist``, ``pull model manifest: 400: {...}``).
A ``401`` is answered like Ollama does (challenge, realm check by version, token): see
:mod:`~hfollama_widgets.testing._ollama.auth`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

import httpx

from hfollama_widgets.testing._ollama.auth import parse_challenge, realm_mismatch
from hfollama_widgets.testing._ollama.names import HF_HOSTS, Name
from hfollama_widgets.testing._ollama.version import CURRENT, Behaviour

__all__ = ["SMALL_LAYER_TYPES", "Layer", "Manifest", "Registry", "RegistryError"]

MANIFEST_ACCEPT = "application/vnd.docker.distribution.manifest.v2+json"
MODEL_TYPE = "application/vnd.ollama.image.model"
PROJECTOR_TYPE = "application/vnd.ollama.image.projector"
TEMPLATE_TYPE = "application/vnd.ollama.image.template"
PARAMS_TYPE = "application/vnd.ollama.image.params"
SYSTEM_TYPE = "application/vnd.ollama.image.system"
LICENSE_TYPE = "application/vnd.ollama.image.license"
CONFIG_TYPE = "application/vnd.docker.container.image.v1+json"
#: Layers FakeOllama really downloads (small text/JSON); the weights are simulated.
SMALL_LAYER_TYPES = frozenset(
    {TEMPLATE_TYPE, PARAMS_TYPE, SYSTEM_TYPE, LICENSE_TYPE, CONFIG_TYPE, "application/json"}
)
_MAX_SMALL_BLOB = 4 * 1024 * 1024
#: What huggingface.co/v2/token answers when Ollama's key is not registered (ollama/ollama#8045).
TOKEN_REFUSED = '{"error":"Invalid username or password."}'


class RegistryError(Exception):
    """A registry failure, carrying the text Ollama would report."""


@dataclass(frozen=True)
class Layer:
    media_type: str
    digest: str
    size: int

    @property
    def small(self) -> bool:
        return self.media_type in SMALL_LAYER_TYPES and self.size <= _MAX_SMALL_BLOB


@dataclass(frozen=True)
class Manifest:
    layers: tuple[Layer, ...]
    config: Layer | None
    digest: str  # sha256 hex of the manifest bytes (what /api/tags shows)
    raw: dict[str, Any]

    def all_layers(self) -> list[Layer]:
        """Layers in pull order: Ollama appends the config blob after the others."""
        return [*self.layers, *([self.config] if self.config else [])]


def _layer(data: Any) -> Layer:
    if not isinstance(data, dict) or not isinstance(data.get("digest"), str):
        raise RegistryError("pull model manifest: invalid manifest layer")
    return Layer(str(data.get("mediaType", "")), data["digest"], int(data.get("size", 0)))


class Registry:
    """Talks to the FakeHub (or any Ollama-protocol registry) for FakeOllama.

    ``hf_token`` stands for Ollama's public key being registered on the Hub: the token the realm
    hands out after a challenge (sent as ``Bearer`` on the repeated request, never up front).
    """

    def __init__(
        self, hub_url: str | None, hf_token: str | None = None, version: str = CURRENT
    ) -> None:
        self.hub_url = (hub_url or "https://hf.co").rstrip("/")
        self._token = hf_token
        self.behaviour = Behaviour.of(version)
        self._granted: dict[str, str] = {}  # "host/namespace/model" -> token from the realm
        self._http = httpx.Client(timeout=httpx.Timeout(30.0, connect=5.0), follow_redirects=True)

    def close(self) -> None:
        self._http.close()

    def _base(self, name: Name) -> str:
        if name.is_hf:
            return self.hub_url
        # Only Hugging Face names have a registry here; every other name is simply absent.
        raise RegistryError("pull model manifest: file does not exist")

    def _get(
        self,
        url: str,
        shown_url: str,
        accept: str | None = None,
        token: str | None = None,
        byte_range: str | None = None,
    ) -> httpx.Response:
        headers = {"user-agent": f"ollama/{self.behaviour.version} (fake)"}
        if accept:
            headers["accept"] = accept
        if token:
            headers["authorization"] = f"Bearer {token}"
        if byte_range:
            headers["range"] = byte_range
        try:
            return self._http.get(url, headers=headers)
        except httpx.HTTPError as exc:
            raise RegistryError(
                f'pull model manifest: Get "{shown_url}": dial tcp: {type(exc).__name__}'
            ) from exc

    def _realm_token(self, realm: str) -> str:
        """A token from the realm (server/auth.go getAuthorizationToken), or RegistryError."""
        parts = httpx.URL(realm)
        if parts.host.lower() in HF_HOSTS and self.hub_url.startswith("http://127.0.0.1"):
            url = self.hub_url + parts.raw_path.decode()  # the stand-in serves both HF hosts
        else:
            url = realm
        answer = self._get(url, realm, token=self._token)
        if answer.status_code == 200:
            try:
                token = answer.json().get("token")
            except (ValueError, AttributeError):
                token = None
            if isinstance(token, str) and token:
                return token
        if answer.status_code not in (200, 404, 405):
            raise RegistryError(f"pull model manifest: {answer.status_code}: {answer.text}")
        # The stand-in Hub has no token route: answer as huggingface.co/v2/token does.
        if self._token:
            return self._token
        raise RegistryError(f"pull model manifest: 401: {TOKEN_REFUSED}")

    def _authorized_get(
        self, name: Name, path: str, accept: str | None = None, byte_range: str | None = None
    ) -> httpx.Response:
        """GET ``path``; on 401 follow the challenge once (server/images.go:1309-1353)."""
        key = f"{name.host}/{name.namespace}/{name.model}".lower()
        url, shown = self._base(name) + path, f"https://{name.host}{path}"
        response = self._get(url, shown, accept, self._granted.get(key), byte_range)
        if response.status_code != 401:
            return response
        challenge = parse_challenge(response.headers.get("www-authenticate"))
        if self.behaviour.realm_check:
            refused = realm_mismatch(challenge, name.host)
            if refused is not None:
                raise RegistryError(f"pull model manifest: {refused}")
        self._granted[key] = self._realm_token(challenge.realm)
        response = self._get(url, shown, accept, self._granted[key], byte_range)
        if response.status_code == 401:  # a second 401 ends the loop: errUnauthorized
            raise RegistryError("pull model manifest: unauthorized: access denied")
        return response

    def manifest(self, name: Name) -> Manifest:
        """The manifest of ``name``, or :class:`RegistryError` with Ollama's error text."""
        path = f"/v2/{name.namespace}/{name.model}/manifests/{name.tag}"
        response = self._authorized_get(name, path, MANIFEST_ACCEPT)
        if response.status_code == 404:
            raise RegistryError("pull model manifest: file does not exist")
        if response.status_code >= 400:
            raise RegistryError(f"pull model manifest: {response.status_code}: {response.text}")
        try:
            raw = response.json()
            layers = tuple(_layer(item) for item in raw.get("layers") or [])
            config = _layer(raw["config"]) if raw.get("config") else None
        except (ValueError, KeyError, AttributeError) as exc:
            raise RegistryError("pull model manifest: invalid character in manifest") from exc
        digest = hashlib.sha256(response.content).hexdigest()
        return Manifest(layers, config, digest, raw)

    def blob(self, name: Name, layer: Layer) -> bytes:
        """A small blob's bytes (template, params, config)."""
        response = self._authorized_get(
            name, f"/v2/{name.namespace}/{name.model}/blobs/{layer.digest}"
        )
        if response.status_code >= 400:
            raise RegistryError(
                f"download blob {layer.digest[7:19]}: {response.status_code}: {response.text}"
            )
        return response.content

    def header(self, name: Name, layer: Layer, first: int = 1 << 20) -> bytes:
        """The GGUF header of a model layer: Range requests on the blob (the Hub redirects to
        its CDN, which honours Range), grown until the header parses; ``b""`` on failure.

        Real Ollama has the whole blob on disk and reads the header from it
        (fs/ggml/gguf.go); the stand-in does not download weights, so it reads only this.
        """
        from hfollama_widgets.gguf.header import BadGGUF, HeaderParser, NeedMoreBytes

        path = f"/v2/{name.namespace}/{name.model}/blobs/{layer.digest}"
        want = min(first, layer.size)
        for _ in range(8):
            try:
                response = self._authorized_get(name, path, byte_range=f"bytes=0-{want - 1}")
            except RegistryError:
                return b""
            if response.status_code not in (200, 206):
                return b""
            data = response.content
            try:
                HeaderParser().feed(data)
                return data
            except NeedMoreBytes as more:
                if want >= layer.size:
                    return b""
                want = min(layer.size, max(more.hint or 0, more.needed, want * 2))
            except BadGGUF:
                return b""
        return b""


def parse_config(data: bytes) -> dict[str, Any]:
    """The config blob as a dict (empty when it is not JSON)."""
    try:
        value = json.loads(data)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}

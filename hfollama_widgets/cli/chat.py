"""``hfollama chat MODEL``: a small REPL that streams replies from Ollama.

Commands: ``/exit`` (or ``/quit``, ``/bye``, Ctrl-D) leaves, ``/clear`` starts over (the
system prompt stays), ``/help`` lists them. Ctrl-C during a reply stops it (the partial reply
is kept); Ctrl-C at the prompt leaves.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from hfollama_widgets.cli.common import note
from hfollama_widgets.errors import HFOllamaError, ModelNotFoundError, OllamaConnectionError
from hfollama_widgets.hf import resolve_ref
from hfollama_widgets.refs import is_hf_name, parse_model_ref, to_model_ref
from hfollama_widgets.terminal import pull_with_bar

if TYPE_CHECKING:
    from hfollama_widgets.hub import Hub
    from hfollama_widgets.ollama import Client

HELP = "Commands: /exit (or Ctrl-D) to leave, /clear to start over, /help for this."
EXIT_COMMANDS = ("/exit", "/quit", "/bye")


def local_models(client: Client) -> list[str]:
    """Names of the models on the Ollama server."""
    listing = client.list()
    return [str(m.get("model") or m.get("name")) for m in listing.get("models") or []]


def _same_repo(name: str, repo_id: str, tag: str | None) -> bool:

    try:
        parsed = parse_model_ref(name)
    except ValueError:
        return False
    if parsed.repo_id.lower() != repo_id.lower():
        return False
    return tag is None or (parsed.quantization or "").lower() == tag.lower()


def resolve_chat_model(
    client: Client,
    model: str,
    *,
    quantization: str | None,
    hub: Callable[[], Hub],
    pull: bool,
) -> str:
    """The Ollama model to chat with; pulls a Hub model first when it is not there yet.

    An exact local name wins. A repo id / ``hf.co`` reference uses a pulled model of that repo
    (and tag, if given), else the auto-selected quant, pulled now (unless ``pull`` is False).
    """

    have = local_models(client)
    if quantization is None and (model in have or f"{model}:latest" in have):
        return model
    if not is_hf_name(model):
        if quantization is not None:
            model = f"{model.split(':', 1)[0]}:{quantization}"
        if model in have or f"{model}:latest" in have:
            return model
        raise ModelNotFoundError(
            f"The model {model!r} is not in Ollama at {client.host}.",
            fix=f"Pull it first (`ollama pull {model}`), or give a Hub repo id (owner/name).",
            status_code=404,
        )
    ref = to_model_ref(model, quantization)
    wanted = parse_model_ref(ref)
    for name in have:
        if _same_repo(name, wanted.repo_id, wanted.quantization):
            return name
    ref = resolve_ref(ref, hub=hub())
    if not pull:
        raise ModelNotFoundError(
            f"{ref} is not in Ollama at {client.host}.",
            fix=f"Pull it first: hfollama pull {ref}",
            status_code=404,
        )

    note(f"{ref} is not in Ollama yet: pulling it first.")
    pull_with_bar(client, ref, file=sys.stderr)
    return ref


def _read_line(prompt: str, interactive: bool) -> str | None:
    """One line from stdin (``None`` at end of input)."""
    if interactive:
        try:
            return input(prompt)
        except EOFError:
            return None
    line = sys.stdin.readline()
    return None if line == "" else line.rstrip("\n")


def _stream_reply(
    client: Client, model: str, messages: list[dict[str, Any]], options: dict[str, Any]
) -> str:
    """Stream one reply to stdout (thinking, if any, dimmed on stderr); return its text."""
    stream: Any = client.chat(model, messages, stream=True, **options)
    parts: list[str] = []
    thinking_open = False
    try:
        for chunk in stream:
            message = chunk.get("message") or {}
            thought = message.get("thinking") or ""
            if thought:
                click.secho(thought, err=True, nl=False, dim=True)
                thinking_open = True
            text = message.get("content") or ""
            if text:
                if thinking_open:
                    click.echo("", err=True)
                    thinking_open = False
                parts.append(text)
                click.echo(text, nl=False)
    except KeyboardInterrupt:
        stream.close()
        click.echo("")
        note("[reply stopped]")
        return "".join(parts)
    click.echo("")
    return "".join(parts)


def run_repl(
    client: Client,
    model: str,
    *,
    system: str | None = None,
    options: dict[str, Any] | None = None,
) -> None:
    """Read messages from stdin and stream each reply until /exit or end of input."""
    interactive = sys.stdin.isatty()
    base: list[dict[str, Any]] = [{"role": "system", "content": system}] if system else []
    messages = list(base)
    note(f"Chatting with {model} at {client.host}. {HELP}")
    while True:
        try:
            line = _read_line(">>> ", interactive)
        except KeyboardInterrupt:
            click.echo("")
            return
        if line is None:
            return
        text = line.strip()
        if not text:
            continue
        if text.startswith("/"):
            command = text.split()[0].lower()
            if command in EXIT_COMMANDS:
                return
            if command == "/clear":
                messages = list(base)
                note("[conversation cleared]")
            elif command in ("/help", "/?"):
                note(HELP)
            else:
                note(f"unknown command {command}. {HELP}")
            continue
        messages.append({"role": "user", "content": text})
        try:
            reply = _stream_reply(client, model, messages, dict(options or {}))
        except OllamaConnectionError:
            raise
        except HFOllamaError as exc:
            messages.pop()
            note(f"error: {exc.message}")
            if exc.fix:
                note(f"  fix: {exc.fix}")
            continue
        messages.append({"role": "assistant", "content": reply})

"""``hfollama chat MODEL``: a small REPL that streams replies from Ollama.

Commands: ``/exit`` (or ``/quit``, ``/bye``, Ctrl-D) leaves, ``/clear`` starts over (the
system prompt stays), ``/retry`` asks again for the last message, ``/help`` lists them. Ctrl-C
during a reply stops it (the partial reply is kept); Ctrl-C at the prompt leaves.

A reply that fails (connection dropped, timeout, server error) does not end the session: as in
ChatWidget, the user turn stays, the partial reply is kept in the transcript marked
``[reply failed]`` (and not re-sent to Ollama), ``error:``/``fix:`` are printed, and ``/retry``
or a new message goes on. If the session ends on a failed reply, the exit code is that error's.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from hfollama_widgets.cli.common import hint, note
from hfollama_widgets.errors import HFOllamaError, ModelNotFoundError
from hfollama_widgets.hf import resolve_ref
from hfollama_widgets.refs import is_hf_name, parse_model_ref, to_model_ref
from hfollama_widgets.terminal import pull_with_bar

if TYPE_CHECKING:
    from hfollama_widgets.hub import Hub
    from hfollama_widgets.ollama import Client

HELP = (
    "Commands: /exit (or Ctrl-D) to leave, /clear to start over, /retry to ask again, "
    "/help for this."
)
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
) -> tuple[str, HFOllamaError | None]:
    """Stream one reply to stdout (thinking, if any, dimmed on stderr).

    Returns its text and ``None``, or the partial text and the error that cut it short
    (a dropped connection, a timeout, an error line, a 5xx): the caller keeps both.
    """
    parts: list[str] = []
    thinking_open = False
    stream: Any = None
    try:
        stream = client.chat(model, messages, stream=True, **options)
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
        if stream is not None:
            stream.close()
        click.echo("")
        note("[reply stopped]")
        return "".join(parts), None
    except HFOllamaError as exc:
        if stream is not None:
            stream.close()
        click.echo("")
        if parts:
            note("[reply failed: the partial reply above is kept, marked failed]")
        return "".join(parts), exc
    click.echo("")
    return "".join(parts), None


class Conversation:
    """The REPL's history: turns as entries; a failed reply stays, marked, but is not re-sent.

    >>> c = Conversation("Be brief.")
    >>> c.ask("Hi"); c.answer("Hel", failed=True)
    >>> c.messages()
    [{'role': 'system', 'content': 'Be brief.'}, {'role': 'user', 'content': 'Hi'}]
    >>> c.can_retry(), len(c.entries)
    (True, 2)
    """

    def __init__(self, system: str | None = None) -> None:
        self.system = system
        self.entries: list[dict[str, Any]] = []

    def ask(self, text: str) -> None:
        self.entries.append({"role": "user", "content": text, "failed": False})

    def answer(self, text: str, *, failed: bool = False) -> None:
        self.entries.append({"role": "assistant", "content": text, "failed": failed})

    def can_retry(self) -> bool:
        """Whether there is a user turn to ask again for."""
        return any(e["role"] == "user" for e in self.entries)

    def drop_last_reply(self) -> None:
        """Forget the reply after the last user turn (failed or not), so it can be asked again."""
        while self.entries and self.entries[-1]["role"] == "assistant":
            self.entries.pop()

    def clear(self) -> None:
        self.entries.clear()

    def messages(self) -> list[dict[str, Any]]:
        """What Ollama gets: the system prompt, then every turn except failed replies."""
        out = [{"role": "system", "content": self.system}] if self.system else []
        out += [
            {"role": e["role"], "content": e["content"]} for e in self.entries if not e["failed"]
        ]
        return out


def _report_failure(exc: HFOllamaError) -> None:
    note(f"error: {exc.message}")
    if exc.fix:
        note(f"  fix: {exc.fix}")
    hint(exc)
    note("  (the conversation is kept: /retry asks again, or type a new message)")


def run_repl(
    client: Client,
    model: str,
    *,
    system: str | None = None,
    options: dict[str, Any] | None = None,
) -> HFOllamaError | None:
    """Read messages from stdin and stream each reply until /exit or end of input.

    Returns the error of the last reply if the session ended on a failed one (else ``None``).
    """
    interactive = sys.stdin.isatty()
    conversation = Conversation(system)
    failure: HFOllamaError | None = None
    note(f"Chatting with {model} at {client.host}. {HELP}")
    while True:
        try:
            line = _read_line(">>> ", interactive)
        except KeyboardInterrupt:
            click.echo("")
            return failure
        if line is None:
            return failure
        text = line.strip()
        if not text:
            continue
        if text.startswith("/"):
            command = text.split()[0].lower()
            if command in EXIT_COMMANDS:
                return failure
            if command == "/clear":
                conversation.clear()
                failure = None
                note("[conversation cleared]")
                continue
            if command == "/retry":
                if not conversation.can_retry():
                    note("nothing to retry yet: type a message.")
                    continue
                conversation.drop_last_reply()
            else:
                note(HELP if command in ("/help", "/?") else f"unknown command {command}. {HELP}")
                continue
        else:
            conversation.ask(text)
        reply, failure = _stream_reply(client, model, conversation.messages(), dict(options or {}))
        conversation.answer(reply, failed=failure is not None)
        if failure is not None:
            _report_failure(failure)

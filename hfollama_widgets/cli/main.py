"""``hfollama``: explore, pull and chat with Hugging Face GGUF models through Ollama.

>>> from click.testing import CliRunner
>>> CliRunner().invoke(cli, ["--help"], prog_name="hfollama").output.splitlines()[0]
'Usage: hfollama [OPTIONS] COMMAND [ARGS]...'
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any

import click

from hfollama_widgets._version import __version__
from hfollama_widgets.cli.chat import resolve_chat_model, run_repl
from hfollama_widgets.cli.common import (
    EXIT_CODES_HELP,
    EXIT_INTERRUPTED,
    GlobalOptions,
    PositiveFloat,
    emit_frame,
    exit_code_for,
    format_option,
    note,
    pass_options,
    report,
)
from hfollama_widgets.cli.info import gather, render
from hfollama_widgets.cli.tables import ls_many_table, ls_table, search_table
from hfollama_widgets.demo import plan_demo
from hfollama_widgets.demo.jupyter import print_dry_run, run_demo
from hfollama_widgets.errors import HFOllamaError, SelectionError
from hfollama_widgets.hf import resolve_ref
from hfollama_widgets.listing import select_row
from hfollama_widgets.ollama import parse_host
from hfollama_widgets.refs import is_hf_name, parse_model_ref, to_model_ref, validate_repo_id
from hfollama_widgets.terminal import pull_with_bar
from hfollama_widgets.testing.stand_ins import serve_stand_ins

__all__ = ["cli", "main"]

_EPILOG = f"""\b
Environment:
  OLLAMA_HOST  Ollama server (default http://127.0.0.1:11434)
  HF_ENDPOINT  Hugging Face Hub (default https://huggingface.co)
  HF_TOKEN     token for gated/private repos (never printed)
  HFOLLAMA_TIMEOUT  seconds to wait for Ollama and the Hub (as --timeout)

\b
{EXIT_CODES_HELP}
"""


class _Group(click.Group):
    """Turns our errors into ``error:``/``fix:`` lines and exit codes (never a traceback)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except HFOllamaError as exc:
            report(exc)
            ctx.exit(exit_code_for(exc))
        except KeyboardInterrupt:
            click.echo("\ninterrupted", err=True)
            ctx.exit(EXIT_INTERRUPTED)


def _check_host(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if not value:
        return None

    try:
        return parse_host(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@click.group(
    cls=_Group,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog=_EPILOG,
)
@click.option(
    "--host",
    envvar="OLLAMA_HOST",
    callback=_check_host,
    metavar="URL",
    help="Ollama server (host[:port] or URL) [env: OLLAMA_HOST].",
)
@click.option(
    "--hf-endpoint",
    envvar="HF_ENDPOINT",
    metavar="URL",
    help="Hugging Face Hub endpoint [env: HF_ENDPOINT].",
)
@click.option(
    "--timeout",
    type=PositiveFloat(),
    envvar="HFOLLAMA_TIMEOUT",
    metavar="SECONDS",
    help="Give up on Ollama or the Hub when an answer (or a pause mid-stream) takes longer "
    "[env: HFOLLAMA_TIMEOUT].",
)
@click.version_option(__version__, prog_name="hfollama")
@click.pass_context
def cli(
    ctx: click.Context, host: str | None, hf_endpoint: str | None, timeout: float | None
) -> None:
    """Explore, pull and chat with Hugging Face GGUF models through Ollama."""
    ctx.obj = GlobalOptions(
        host=host, hf_endpoint=hf_endpoint.rstrip("/") if hf_endpoint else None, timeout=timeout
    )


def _repo_id(text: str) -> str:
    """A repo id from ``owner/name`` or an ``hf.co/…`` reference (its tag is ignored)."""

    if text.lower().startswith(("hf.co/", "huggingface.co/", "http://", "https://")):
        return parse_model_ref(text).repo_id
    return validate_repo_id(text.strip())


# --- ls ---------------------------------------------------------------------------------


@cli.command("ls")
@click.argument("repos", nargs=-1, metavar="REPO...")
@click.option("--max-size-gb", type=PositiveFloat(), help="Only files up to N GB (1e9).")
@click.option(
    "--all", "sidecars", is_flag=True, help="Also list sidecar files (mmproj, imatrix, mtp)."
)
@click.option("--revision", default="main", show_default=True, help="Branch, tag or commit.")
@click.option("--author", help="Also list the GGUF repos of this user or organization.")
@click.option("--search", "query", help="Also list the GGUF repos whose id contains this.")
@click.option(
    "--limit", type=click.IntRange(1, 1000), default=20, show_default=True,
    help="At most N repos from --author/--search (by downloads).",
)  # fmt: skip
@format_option
@pass_options
def ls_cmd(
    services: GlobalOptions,
    repos: tuple[str, ...],
    max_size_gb: float | None,
    sidecars: bool,
    revision: str,
    author: str | None,
    query: str | None,
    limit: int,
    fmt: str,
) -> None:
    """List the GGUF files of Hub repos (one row per quant; split files as one row).

    REPO is owner/name (or an hf.co/owner/name reference). With one REPO the table marks what
    Ollama can pull and ends with the recommended quant; with several (or --author/--search)
    one table has a repo column and an error line per repo that failed. --json/--csv give
    every column.
    """
    if not repos and not author and not query:
        raise click.UsageError("Missing argument 'REPO...' (or give --author / --search).")
    if len(repos) > 1 or author or query:
        _ls_many(services, repos, max_size_gb, sidecars, revision, author, query, limit, fmt)
        return
    repo = repos[0]
    repo_id = _repo_id(repo)
    df = services.hub.list_gguf_files(repo_id, revision=revision, include_sidecars=sidecars)
    shown = df if max_size_gb is None else df[df["size_gb"] <= max_size_gb]
    emit_frame(shown, fmt, lambda d: ls_table(d, sidecars=sidecars))
    if shown.empty and not df.empty:
        note(f"No file of {repo_id} is at most {max_size_gb:g} GB.")
    if fmt != "table" or df.empty:
        return
    try:
        row = select_row(df, repo_id=repo_id, max_size_gb=max_size_gb)
    except SelectionError as exc:
        note(f"\nNothing to recommend: {exc.message}")
        return
    note(
        f"\nrecommended: {row['quantization'] or row['ollama_tag']} ({row['size_gb']:.2f} GB)"
        f" -> hfollama pull {row['model_ref']}"
    )


def _ls_many(
    services: GlobalOptions,
    repos: tuple[str, ...],
    max_size_gb: float | None,
    sidecars: bool,
    revision: str,
    author: str | None,
    query: str | None,
    limit: int,
    fmt: str,
) -> None:
    hub = services.hub
    ids = list(repos)
    if author or query:
        found = hub.search_models(query, author=author, limit=limit)
        ids += [i for i in found["id"] if i not in ids]
    df = hub.list_gguf_files_many(
        ids, revision=revision, include_sidecars=sidecars, progress=sys.stderr.isatty()
    )
    if max_size_gb is not None:
        df = df[df["error"].notna() | (df["size_gb"] <= max_size_gb)].reset_index(drop=True)
    emit_frame(df, fmt, lambda d: ls_many_table(d, sidecars=sidecars))
    failed = int(df.drop_duplicates("repo_id")["error"].notna().sum())
    if failed:
        note(f"{failed} of {df['repo_id'].nunique()} repos could not be listed (see 'error').")
    if not ids:
        note("No GGUF repo matches.")


# --- search / info ------------------------------------------------------------------------


@cli.command()
@click.argument("query", required=False)
@click.option("--author", help="Only repos of this user or organization.")
@click.option(
    "--sort",
    type=click.Choice(["downloads", "likes", "trending_score", "last_modified", "created_at"]),
    default="downloads",
    show_default=True,
)
@click.option("--limit", type=click.IntRange(1, 1000), default=20, show_default=True)
@format_option
@pass_options
def search(
    services: GlobalOptions, query: str | None, author: str | None, sort: str, limit: int, fmt: str
) -> None:
    """Search the Hub for GGUF repos whose id contains QUERY."""
    df = services.hub.search_models(query, author=author, sort=sort, limit=limit)
    emit_frame(df, fmt, search_table)
    if df.empty:
        note("No GGUF repo matches.")


@cli.command()
@click.argument("repo")
@click.option("--quant", "-q", help="Read this quant's header (default: the recommended one).")
@click.option("--context", "context_length", type=click.IntRange(min=1), help="Context tokens.")
@click.option("--json", "as_json", is_flag=True, help="JSON instead of text.")
@pass_options
def info(
    services: GlobalOptions,
    repo: str,
    quant: str | None,
    context_length: int | None,
    as_json: bool,
) -> None:
    """Show a repo's Hub info, its GGUF header and a memory estimate for this machine."""

    data = gather(services.hub, _repo_id(repo), quantization=quant, context_length=context_length)
    click.echo(json.dumps(data, indent=2, default=str) if as_json else render(data))


# --- pull / chat --------------------------------------------------------------------------


@cli.command()
@click.argument("model", metavar="REPO_OR_REF")
@click.option("--quant", "-q", help="Quantization (e.g. Q4_K_M); default: auto-selected.")
@click.option("--max-size-gb", type=PositiveFloat(), help="Auto-select within N GB.")
@pass_options
def pull(services: GlobalOptions, model: str, quant: str | None, max_size_gb: float | None) -> None:
    """Pull a Hub GGUF repo (or any Ollama model) into Ollama, with a progress bar.

    REPO_OR_REF: owner/name, hf.co/owner/name[:QUANT], or an Ollama name like llama3.2.
    Without a quant the Hub listing picks one (Q4_K_M first, never a split file).
    """

    if is_hf_name(model):
        given = quant or parse_model_ref(to_model_ref(model)).quantization
        ref = resolve_ref(model, quant, hub=services.hub, max_size_gb=max_size_gb)
        note(f"pulling {ref}" + ("" if given else " (auto-selected; choose with --quant)"))
    else:
        ref = f"{model.split(':', 1)[0]}:{quant}" if quant else model
        note(f"pulling {ref}")
    pull_with_bar(services.client, ref, file=sys.stderr)
    click.echo(f"pulled {ref}")
    note(f"chat with it: hfollama chat {ref}")


@cli.command()
@click.argument("model")
@click.option(
    "--quant", "-q", help="Quantization of a Hub repo (default: a pulled one, else auto)."
)
@click.option("--system", "-s", help="System prompt.")
@click.option("--think/--no-think", default=None, help="Ask for (or turn off) reasoning.")
@click.option("--temperature", type=PositiveFloat(minimum=0), help="Sampling temperature.")
@click.option("--no-pull", is_flag=True, help="Fail instead of pulling a missing Hub model.")
@pass_options
def chat(
    services: GlobalOptions,
    model: str,
    quant: str | None,
    system: str | None,
    think: bool | None,
    temperature: float | None,
    no_pull: bool,
) -> None:
    """Chat with MODEL in the terminal; replies stream as they are written.

    MODEL: a Hub repo id or hf.co reference (pulled first if needed) or a local Ollama name.
    Type /exit (or Ctrl-D) to leave, /clear to start over. Reads stdin, so it can be piped.
    """

    client = services.client
    name = resolve_chat_model(
        client, model, quantization=quant, hub=lambda: services.hub, pull=not no_pull
    )
    options: dict[str, Any] = {}
    if think is not None:
        options["think"] = think
    if temperature is not None:
        options["options"] = {"temperature": temperature}
    failure = run_repl(client, name, system=system, options=options)
    if failure is not None:  # the session ended on a failed reply (already reported)
        sys.exit(exit_code_for(failure))


# --- stand-ins / demo ---------------------------------------------------------------------


@cli.command("fake-servers")
@click.option("--hub-port", type=click.IntRange(0, 65535), default=0, help="0: a free port.")
@click.option("--ollama-port", type=click.IntRange(0, 65535), default=0, help="0: a free port.")
@click.option("--pull-speed", type=PositiveFloat(minimum=1), default=2e8, help="Bytes/s.")
@click.option("--token-rate", type=PositiveFloat(minimum=1), default=60.0, help="Tokens/s.")
def fake_servers(hub_port: int, ollama_port: int, pull_speed: float, token_rate: float) -> None:
    """Run the local Hub and Ollama stand-ins on 127.0.0.1 until Ctrl-C.

    Prints their URLs and the HF_ENDPOINT / OLLAMA_HOST values to export elsewhere. The
    Ollama stand-in pulls hf.co/... from the Hub stand-in; its models are simulated.
    """

    serve_stand_ins(
        hub_port=hub_port,
        ollama_port=ollama_port,
        pull_speed=pull_speed,
        token_rate=token_rate,
        say=lambda line: click.echo(line),
    )


@cli.command()
@click.option("--port", type=click.IntRange(1, 65535), help="JupyterLab port (default 8888/free).")
@click.option("--no-browser", is_flag=True, help="Do not open a browser.")
@click.option("--offline", is_flag=True, help="Use the stand-ins without checking anything.")
@click.option(
    "--notebook",
    type=click.Path(dir_okay=False),
    help="Open this notebook (default: notebooks/quickstart.ipynb).",
)
@click.option("--token", help="JupyterLab token (default: a random one).")
@click.option("--dry-run", is_flag=True, help="Print the plan (services, env) and exit.")
@pass_options
def demo(
    services: GlobalOptions,
    port: int | None,
    no_browser: bool,
    offline: bool,
    notebook: str | None,
    token: str | None,
    dry_run: bool,
) -> None:
    """Open the quickstart notebook in JupyterLab, with real services or the stand-ins.

    Checks OLLAMA_HOST and the Hub (HF_ENDPOINT); when both answer the notebooks use them,
    otherwise the bundled stand-ins start on loopback (and the output says so). Ctrl-C stops
    JupyterLab and the stand-ins.
    """

    plan = plan_demo(services.host, services.hf_endpoint, offline=offline)
    if dry_run:
        print_dry_run(plan, notebook=notebook, port=port, say=lambda line: click.echo(line))
        return
    code = run_demo(
        plan,
        notebook=notebook,
        port=port,
        open_browser=not no_browser,
        token=token,
        say=lambda line: click.echo(line),
    )
    sys.exit(code)


def main(argv: Sequence[str] | None = None) -> None:
    """The ``hfollama`` console script."""
    cli.main(args=list(argv) if argv is not None else None, prog_name="hfollama")

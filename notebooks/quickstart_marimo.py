"""hfollama-widgets quickstart, as a marimo app.

Run it with ``marimo edit notebooks/quickstart_marimo.py`` (or ``marimo run`` for the app view).
The same six steps as ``quickstart.ipynb``; every widget is wrapped in ``mo.ui.anywidget`` so
marimo shows it and re-runs the cells that read its ``.value`` when it changes.
"""

import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")


@app.cell
def _():
    import marimo as mo

    mo.md(
        """
        # hfollama-widgets quickstart (marimo)

        From a Hugging Face repo to a chat, in six steps: **discover** GGUF repos, read a
        repo's files as a **DataFrame**, let **`auto_select`** pick a quantization, browse it
        in the **GGUFBrowser**, **pull** it into Ollama with a progress bar, and **chat** with it.

        `connect()` uses `OLLAMA_HOST` / `HF_ENDPOINT` when they are set; when neither is set
        and the local Ollama or the Hub does not answer, it starts the **bundled stand-ins** in
        this process (a simulated Ollama and an offline Hub catalogue) and says so below.
        """
    )
    return (mo,)


@app.cell
def _(mo):
    import hfollama_widgets as hfw
    from hfollama_widgets.demo import connect

    services = connect()
    client, hub = services.client, services.hub
    mo.plain_text(str(services))
    return client, hfw, hub


@app.cell
def _(hub, mo):
    # 1. Discover GGUF repos: a search of the Hub, sorted by downloads, as a DataFrame
    results = hub.search_models("llama", limit=10)
    results[["id", "downloads", "likes", "parameters", "architecture"]]
    return


@app.cell
def _(hub):
    # 2. A repo's GGUF files as a DataFrame, one row per quantization
    REPO = "bartowski/Llama-3.2-1B-Instruct-GGUF"
    df = hub.list_gguf_files(REPO)
    df[["quantization", "size_gb", "bits_per_weight", "quality", "ollama_pullable", "model_ref"]]
    return REPO, df


@app.cell
def _(df):
    # a plain DataFrame, so pandas does the rest: the best-quality files under 1 GB
    df[df["size_gb"] < 1.0].sort_values("quality_rank").head(5)[
        ["quantization", "size_gb", "quality"]
    ]
    return


@app.cell
def _(REPO, hub, mo):
    # 3. auto_select: Q4_K_M when there is one, within max_size_gb, never a split file
    ref, row = hub.auto_select(REPO, max_size_gb=1.0)
    chosen = row[["quantization", "size_gb", "bits_per_weight", "quality"]].to_frame("chosen")
    mo.vstack([mo.md(f"`auto_select` chose **{ref}**"), chosen])
    return (ref,)


@app.cell
def _(REPO, client, hfw, hub, mo):
    # 4. The GGUFBrowser: sort, filter, search other repos, pull or chat from a row
    browser = hfw.GGUFBrowser(REPO, client=client, hub=hub, max_size_gb=1.0)
    browser_view = mo.ui.anywidget(browser)
    browser_view  # noqa: B018 (a marimo cell shows its last expression)
    return (browser_view,)


@app.cell
def _(browser_view, mo):
    # This cell re-runs whenever a row is clicked in the browser above.
    selected = browser_view.value.get("selected")
    mo.plain_text(
        f"Selected in the browser: {selected}"
        if selected
        else "Selected in the browser: nothing yet (click a row)"
    )
    return


@app.cell
def _(client, hfw, mo, ref):
    # 5. Pull it into Ollama: the layers, speed and ETA, in the background
    progress = hfw.PullProgress(client, ref)
    mo.ui.anywidget(progress)
    return


@app.cell
def _(client, hfw, mo, ref):
    # 6. Chat with it: type in the box; replies stream in; Stop keeps the partial answer
    chat = hfw.ChatWidget(client, ref, system="You are a concise assistant.")
    mo.ui.anywidget(chat)
    return


if __name__ == "__main__":
    app.run()

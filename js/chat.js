// ChatWidget front end.
//
// Source of truth: the synced traits. `history` holds the finished messages and is rendered on every view
// (so a re-render, a second view or a reload shows the conversation). The reply being streamed is NOT in
// `history`: `streaming` holds its id, Python sends only the new text as custom messages
// {type: "delta", id, content, content_at, thinking, thinking_at}, and a view that appears mid-reply asks
// for what came before with {type: "sync"} (answered by {type: "partial", id, content, thinking}).
// Offsets make the merge safe whatever order a partial and deltas arrive in.
// Markdown of the live reply is re-rendered at most once per animation frame.
// Until the first text arrives (Ollama may be loading the model) the live bubble says so, with the
// seconds elapsed, ticking here in the page; Stop stays available during that wait.
import "./chat.css";
import { button, h, renderError, waitingText } from "./_shared.js";
import { renderMarkdown } from "./_markdown.js";

const nextFrame =
  typeof window.requestAnimationFrame === "function"
    ? (fn) => window.requestAnimationFrame(fn)
    : (fn) => setTimeout(fn, 16);
const cancelFrame =
  typeof window.cancelAnimationFrame === "function" ? (id) => window.cancelAnimationFrame(id) : (id) => clearTimeout(id);

/** Merge `text` starting at offset `at` into `current` (append-only text). Returns null on a gap. */
export function mergeAt(current, text, at) {
  if (typeof at !== "number" || at > current.length) return null;
  const merged = current.slice(0, at) + text;
  return merged.length >= current.length ? merged : current;
}

function statsText(entry) {
  const parts = [];
  if (Number.isFinite(entry.tokens)) parts.push(`${entry.tokens} tokens`);
  if (Number.isFinite(entry.tokens_per_s)) parts.push(`${entry.tokens_per_s.toFixed(1)} tok/s`);
  if (Number.isFinite(entry.duration_s)) parts.push(`${entry.duration_s.toFixed(1)} s`);
  if (entry.done_reason === "length") parts.push("cut at the length limit");
  return parts.join(" · ");
}

/** One message bubble; `update(entry, live)` refreshes it in place (keeps <details> open state). */
class MessageView {
  constructor(entry, modelName) {
    this.id = entry.id;
    this.role = entry.role;
    this.thinkingBody = h("div", { className: "hfw-chat-thinking-body", dataset: { testid: "thinking-text" } });
    this.thinkingSummary = h("summary", {}, "Thinking");
    this.thinking = h(
      "details",
      { className: "hfw-chat-thinking", dataset: { testid: "thinking" }, hidden: true },
      this.thinkingSummary,
      this.thinkingBody,
    );
    this.content = h("div", { className: "hfw-chat-content", dataset: { testid: "content" } });
    this.waiting =
      entry.role === "assistant" ? h("div", { className: "hfw-chat-waiting hfw-muted", dataset: { testid: "waiting" }, hidden: true }) : null;
    this.liveSince = null;
    this.meta = h("div", { className: "hfw-chat-meta" });
    const who = entry.role === "user" ? "You" : entry.model || modelName || "Assistant";
    this.el = h(
      "div",
      { className: `hfw-chat-msg hfw-chat-${entry.role}`, dataset: { testid: "message", role: entry.role, id: entry.id } },
      h("div", { className: "hfw-chat-who" }, who),
      entry.role === "assistant" ? this.thinking : null,
      this.waiting,
      this.content,
      this.meta,
    );
    this.shown = { content: null, thinking: null, metaKey: null };
  }

  /** Show (or hide) "Waiting for Ollama to load the model… N s" while no text came yet. */
  tick(live, content, thinking) {
    const waiting = Boolean(live) && !content && !thinking;
    if (!this.waiting) return false;
    if (live && this.liveSince === null) this.liveSince = Date.now();
    this.waiting.hidden = !waiting;
    this.el.classList.toggle("hfw-chat-is-waiting", waiting);
    if (!waiting) return false;
    const { seconds, text } = waitingText("load the model", this.liveSince);
    this.waiting.dataset.seconds = String(seconds);
    this.waiting.textContent = text;
    return true;
  }

  update(entry, live) {
    const content = entry.content || "";
    const thinking = entry.thinking || "";
    this.tick(live, content, thinking);
    if (thinking !== this.shown.thinking) {
      this.thinking.hidden = !thinking;
      this.thinkingBody.textContent = thinking;
      this.shown.thinking = thinking;
    }
    this.thinkingSummary.textContent = live && !content ? "Thinking…" : "Thoughts";
    if (content !== this.shown.content) {
      if (this.role === "assistant") renderMarkdown(this.content, content);
      else this.content.textContent = content;
      this.shown.content = content;
    }
    this.el.classList.toggle("hfw-chat-live", Boolean(live));
    this.el.dataset.state = live ? "streaming" : entry.error ? "error" : entry.stopped ? "stopped" : "done";
    const metaKey = JSON.stringify([live, entry.stopped, entry.error, entry.tokens, entry.tokens_per_s, entry.done_reason]);
    if (metaKey === this.shown.metaKey) return;
    this.shown.metaKey = metaKey;
    const items = [];
    if (live) items.push(h("span", { className: "hfw-chat-typing", dataset: { testid: "typing" } }, "●●●"));
    if (entry.stopped) items.push(h("span", { className: "hfw-chat-badge", dataset: { testid: "stopped" } }, "Stopped"));
    if (entry.error) {
      // the full message and the fix are in the error box below; the badge only marks the reply
      const title = entry.error.message || entry.error.type || "";
      items.push(h("span", { className: "hfw-chat-badge hfw-chat-badge-error", title, dataset: { testid: "message-error" } }, "Failed"));
    }
    const stats = this.role === "assistant" && !live ? statsText(entry) : "";
    if (stats) items.push(h("span", { className: "hfw-chat-stats", dataset: { testid: "stats" } }, stats));
    this.meta.replaceChildren(...items);
    this.meta.hidden = items.length === 0;
  }
}

function render({ model, el }) {
  const views = new Map(); // id -> MessageView (finished messages)
  let live = null; // {id, content, thinking, view}
  let frame = null;
  let debounce = null;
  // ticks the waiting seconds of the live bubble (only while it waits for the first text)
  const ticker = setInterval(() => {
    if (live) live.view.tick(true, live.content, live.thinking);
  }, 500);

  // -- layout ------------------------------------------------------------------------------------
  const systemInput = h("textarea", {
    className: "hfw-chat-system",
    rows: 2,
    placeholder: "System prompt (optional)",
    dataset: { testid: "system" },
    "aria-label": "System prompt",
  });
  const tempInput = h("input", {
    type: "number",
    min: "0",
    max: "2",
    step: "0.1",
    placeholder: "default",
    className: "hfw-chat-temp",
    dataset: { testid: "temperature" },
    "aria-label": "Temperature",
  });
  const clearBtn = button("Clear", () => model.send({ type: "clear" }), { dataset: { testid: "clear" }, title: "Start over" });
  const settings = h(
    "details",
    { className: "hfw-chat-settings" },
    h("summary", { dataset: { testid: "settings" } }, "Settings"),
    h("label", { className: "hfw-chat-field" }, h("span", {}, "System prompt"), systemInput),
    h("label", { className: "hfw-chat-field hfw-chat-field-inline" }, h("span", {}, "Temperature"), tempInput),
  );
  const modelLabel = h("span", { className: "hfw-chat-model hfw-mono", dataset: { testid: "chat-model" } });
  const header = h("div", { className: "hfw-chat-header" }, modelLabel, h("span", { className: "hfw-chat-spacer" }), clearBtn);
  const empty = h("div", { className: "hfw-chat-empty hfw-muted", dataset: { testid: "empty" } }, "No messages yet. Say hello!");
  const log = h("div", { className: "hfw-chat-log", role: "log", "aria-live": "polite", dataset: { testid: "chat-log" } });
  const errorBox = h("div", { className: "hfw-chat-error" });
  const input = h("textarea", {
    className: "hfw-chat-input",
    rows: 2,
    placeholder: "Message — Enter to send, Shift+Enter for a new line",
    dataset: { testid: "input" },
    "aria-label": "Message",
  });
  const sendBtn = button("Send", () => submit(), { className: "hfw-primary", dataset: { testid: "send" } });
  const stopBtn = button("Stop", () => model.send({ type: "stop" }), { dataset: { testid: "stop" }, title: "Stop the reply (keeps what came so far)" });
  const regenBtn = button("Regenerate", () => model.send({ type: "regenerate" }), { dataset: { testid: "regenerate" }, title: "Ask again for the last message" });
  const footer = h("div", { className: "hfw-chat-footer" }, input, h("div", { className: "hfw-chat-actions" }, sendBtn, stopBtn, regenBtn));
  const root = h("div", { className: "hfw-root hfw-chat", dataset: { testid: "chat" } }, header, settings, empty, log, errorBox, footer);
  el.replaceChildren(root);

  // -- helpers -----------------------------------------------------------------------------------
  const nearBottom = () => log.scrollHeight - log.scrollTop - log.clientHeight < 40;
  const scrollDown = (force) => {
    if (force || nearBottom()) log.scrollTop = log.scrollHeight;
  };

  function submit() {
    const text = input.value;
    if (!text.trim() || model.get("streaming")) return;
    model.send({ type: "send", text });
    input.value = "";
  }

  function renderLog() {
    const history = model.get("history") || [];
    const streamingId = model.get("streaming") || "";
    const stick = nearBottom();
    const seen = new Set();
    const nodes = [];
    for (const entry of history) {
      seen.add(entry.id);
      let view = views.get(entry.id);
      if (!view && live && live.id === entry.id) view = live.view; // the live bubble becomes final
      if (!view) view = new MessageView(entry, model.get("model"));
      views.set(entry.id, view);
      view.update(entry, false);
      nodes.push(view.el);
    }
    for (const id of [...views.keys()]) if (!seen.has(id)) views.delete(id);
    if (streamingId && !seen.has(streamingId)) {
      if (!live || live.id !== streamingId) {
        live = { id: streamingId, content: "", thinking: "", view: new MessageView({ id: streamingId, role: "assistant" }, model.get("model")) };
        model.send({ type: "sync" });
      }
      live.view.update(live, true);
      nodes.push(live.view.el);
    } else {
      live = null;
    }
    log.replaceChildren(...nodes);
    empty.hidden = nodes.length > 0;
    scrollDown(stick);
    renderControls();
  }

  function renderControls() {
    const streaming = Boolean(model.get("streaming"));
    const history = model.get("history") || [];
    sendBtn.hidden = streaming;
    stopBtn.hidden = !streaming;
    regenBtn.disabled = streaming || !history.some((m) => m.role === "user");
    clearBtn.disabled = history.length === 0 && !streaming;
    root.dataset.state = streaming ? "streaming" : model.get("error") ? "error" : "idle";
    const box = renderError(errorBox, model.get("error"));
    if (box && !streaming && history.some((m) => m.role === "user")) {
      box.appendChild(button("Retry", () => model.send({ type: "retry" }), { dataset: { testid: "retry" } }));
    }
  }

  function scheduleLive() {
    if (frame !== null) return;
    frame = nextFrame(() => {
      frame = null;
      if (!live) return;
      const stick = nearBottom();
      live.view.update(live, true);
      scrollDown(stick);
    });
  }

  function applyText(msg) {
    if (!live || live.id !== msg.id) return;
    let gap = false;
    for (const key of ["content", "thinking"]) {
      if (typeof msg[key] !== "string") continue;
      const merged = msg.type === "partial" ? mergeAt(live[key], msg[key], 0) : mergeAt(live[key], msg[key], msg[`${key}_at`]);
      if (merged === null) gap = true;
      else live[key] = merged;
    }
    if (gap) model.send({ type: "sync" });
    scheduleLive();
  }

  function renderSettings() {
    modelLabel.textContent = model.get("model") || "";
    if (document.activeElement !== systemInput) systemInput.value = model.get("system") || "";
    const t = (model.get("options") || {}).temperature;
    if (document.activeElement !== tempInput) tempInput.value = t === undefined || t === null ? "" : String(t);
  }

  function saveSystem() {
    clearTimeout(debounce);
    debounce = null;
    if (systemInput.value === (model.get("system") || "")) return;
    model.set("system", systemInput.value);
    model.save_changes();
  }

  function saveTemperature() {
    const options = { ...(model.get("options") || {}) };
    const raw = tempInput.value.trim();
    const value = Number(raw);
    if (raw === "") delete options.temperature;
    else if (Number.isFinite(value) && value >= 0) options.temperature = value;
    else return;
    model.set("options", options);
    model.save_changes();
  }

  // -- events ------------------------------------------------------------------------------------
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      submit();
    }
  });
  systemInput.addEventListener("input", () => {
    clearTimeout(debounce);
    debounce = setTimeout(saveSystem, 400);
  });
  systemInput.addEventListener("change", saveSystem);
  tempInput.addEventListener("change", saveTemperature);

  model.on("change:history", renderLog);
  model.on("change:streaming", renderLog);
  model.on("change:error", renderControls);
  model.on("change:model", renderSettings);
  model.on("change:system", renderSettings);
  model.on("change:options", renderSettings);
  model.on("msg:custom", (msg) => {
    if (msg && (msg.type === "delta" || msg.type === "partial")) applyText(msg);
  });

  renderSettings();
  renderLog();
  return () => {
    if (frame !== null) cancelFrame(frame);
    clearTimeout(debounce);
    clearInterval(ticker);
  };
}

export default { render };

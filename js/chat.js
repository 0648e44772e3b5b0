// ChatWidget front end.
//
// The conversation is not a synced trait: Python sends what is new as custom messages (see
// hfollama_widgets/widgets/chat/protocol.py): {type: "log", keep, add, live} per turn (and for clear /
// regenerate), the live reply's new answer text as a bare string (the comm keeps order), or, when there is
// new thinking text, ["d", id, content_at, content, thinking_at, thinking] (a delta at its offsets),
// {type: "end", id, entry, content_length, thinking_length?} when it is finished (stats only: the text came
// as deltas). A view asks once, when it renders, with {type: "sync", view} and ignores the rest until the
// answer (a "log" with its `view` token: everything so far, and the live text) arrives; it asks again only
// if it finds a gap. Offsets count Unicode code points, like Python's str.
// The live reply's markdown is rendered incrementally (MarkdownStream: finished blocks kept), at most once
// per animation frame. A slow model's text comes in steps up to flush_max_wait apart (few bytes of envelope
// per byte of text); each such step is revealed over about the time it took to come (smooth reading, at
// most SMOOTH_MAX_SPAN_MS behind), while a fast model's steps (under SMOOTH_MIN_GAP_MS apart) show at once.
// Until the first text arrives (Ollama may be loading the model) the live bubble says so, with the
// seconds elapsed, ticking here in the page; Stop stays available during that wait.
import "./chat.css";
import { button, h, renderError, waitingText } from "./_shared.js";
import { MarkdownStream } from "./_markdown.js";

const nextFrame =
  typeof window.requestAnimationFrame === "function"
    ? (fn) => window.requestAnimationFrame(fn)
    : (fn) => setTimeout(fn, 16);
const cancelFrame =
  typeof window.cancelAnimationFrame === "function" ? (id) => window.cancelAnimationFrame(id) : (id) => clearTimeout(id);

/** Text steps closer than this (ms) show at once: a fast model's ~60-100 ms steps are smooth already. */
export const SMOOTH_MIN_GAP_MS = 150;
/** The longest a step takes to reveal (ms): how far at most the page is behind the text it has. */
export const SMOOTH_MAX_SPAN_MS = 800;

/**
 * How many UTF-16 units of `total` to show at `now` while revealing a step (`reveal`: {from, start, span}):
 * linear from `from` to `total` over `span` ms, never splitting a surrogate pair.
 */
export function revealedLength(text, reveal, now) {
  const total = text.length;
  if (!reveal || reveal.span <= 0) return total;
  const t = Math.min(1, Math.max(0, (now - reveal.start) / reveal.span));
  let n = Math.round(reveal.from + (total - reveal.from) * t);
  if (n > 0 && n < total) {
    const c = text.charCodeAt(n - 1);
    if (c >= 0xd800 && c <= 0xdbff) n++;
  }
  return Math.min(total, Math.max(n, reveal.from));
}

/** Length in Unicode code points (Python's len()), not UTF-16 units. */
export function codePoints(text) {
  let n = text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) n--;
  }
  return n;
}

/**
 * Merge `text`, which starts at code point `at`, into `part` ({text, length} with length in code points;
 * append-only text). Returns false on a gap (text missing before `at`).
 */
export function mergeAt(part, text, at) {
  if (typeof at !== "number" || typeof text !== "string" || at > part.length) return false;
  if (at < part.length) {
    const skip = part.length - at; // already have these code points
    const points = Array.from(text);
    if (points.length <= skip) return true;
    text = points.slice(skip).join("");
  }
  part.text += text;
  part.length += codePoints(text);
  return true;
}

const newPart = (text = "") => ({ text, length: codePoints(text) });

function statsText(entry) {
  const parts = [];
  if (Number.isFinite(entry.tokens)) parts.push(`${entry.tokens} tokens`);
  if (Number.isFinite(entry.tokens_per_s)) parts.push(`${entry.tokens_per_s.toFixed(1)} tok/s`);
  if (Number.isFinite(entry.duration_s)) parts.push(`${entry.duration_s.toFixed(1)} s`);
  if (entry.done_reason === "length") parts.push("cut at the length limit");
  return parts.join(" · ");
}

/** The collapsed list of the tool calls a reply made: name and JSON arguments, as text only. */
function toolCallsView(calls) {
  const items = calls.map((call) => {
    const fn = (call && call.function) || {};
    let args = fn.arguments;
    try {
      args = typeof args === "string" ? args : JSON.stringify(args ?? {}, null, 2);
    } catch {
      args = String(args);
    }
    return h(
      "div",
      { className: "hfw-chat-tool-call", dataset: { testid: "tool-call" } },
      h("div", { className: "hfw-chat-tool-name hfw-mono", dataset: { testid: "tool-name" } }, String(fn.name ?? "")),
      h("pre", { className: "hfw-chat-tool-args", dataset: { testid: "tool-args" } }, args),
    );
  });
  const label = calls.length === 1 ? "1 tool call" : `${calls.length} tool calls`;
  return h("details", { className: "hfw-chat-tools", dataset: { testid: "tool-calls" } }, h("summary", {}, label), ...items);
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
    this.markdown = entry.role === "assistant" ? new MarkdownStream(this.content) : null;
    this.tools = h("div", { className: "hfw-chat-tools-slot", hidden: true });
    this.waiting =
      entry.role === "assistant" ? h("div", { className: "hfw-chat-waiting hfw-muted", dataset: { testid: "waiting" }, hidden: true }) : null;
    this.liveSince = null;
    this.meta = h("div", { className: "hfw-chat-meta" });
    const who =
      entry.role === "user" ? "You" : entry.role === "tool" ? `Tool${entry.tool_name ? `: ${entry.tool_name}` : ""}` : entry.model || modelName || "Assistant";
    this.el = h(
      "div",
      { className: `hfw-chat-msg hfw-chat-${entry.role}`, dataset: { testid: "message", role: entry.role, id: entry.id } },
      h("div", { className: "hfw-chat-who" }, who),
      entry.role === "assistant" ? this.thinking : null,
      this.waiting,
      this.content,
      this.tools,
      this.meta,
    );
    this.shown = { content: null, thinking: "", tools: null, metaKey: null, live: null };
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

  /** Thinking text: appended when it grew (the common case while streaming), else replaced. */
  showThinking(thinking) {
    const shown = this.shown.thinking;
    if (thinking === shown) return;
    if (shown && thinking.length > shown.length && thinking.startsWith(shown)) {
      this.thinkingBody.appendChild(document.createTextNode(thinking.slice(shown.length)));
    } else {
      this.thinkingBody.textContent = thinking;
    }
    this.thinking.hidden = !thinking;
    this.shown.thinking = thinking;
  }

  update(entry, live) {
    const content = entry.content || "";
    const thinking = entry.thinking || "";
    this.tick(live, content, thinking);
    this.showThinking(thinking);
    this.thinkingSummary.textContent = live && !content ? "Thinking…" : "Thoughts";
    if (content !== this.shown.content || (!live && this.shown.live)) {
      if (this.markdown) this.markdown.update(content, !live);
      else this.content.textContent = content;
      this.shown.content = content;
    }
    this.shown.live = Boolean(live);
    const calls = Array.isArray(entry.tool_calls) ? entry.tool_calls : [];
    const toolsKey = JSON.stringify(calls);
    if (toolsKey !== this.shown.tools) {
      this.shown.tools = toolsKey;
      this.tools.replaceChildren(...(calls.length ? [toolCallsView(calls)] : []));
      this.tools.hidden = calls.length === 0;
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

let viewCount = 0;

function render({ model, el }) {
  const views = new Map(); // id -> MessageView (finished messages)
  let entries = []; // this view's copy of the conversation (finished messages)
  // the reply being streamed: {id, content: {text, length}, thinking: {text, length}, view, shown (UTF-16 units
  // of content on screen), lastAt (when text last came), reveal ({from, start, span} while a step is revealed)}
  let live = null;
  let waitingFor = null; // the token of this view's sync request, until its answer comes
  let syncs = 0;
  let frame = null;
  let debounce = null;
  const token = `v${++viewCount}-${Math.random().toString(36).slice(2, 10)}`;
  // ticks the waiting seconds of the live bubble (only while it waits for the first text)
  const ticker = setInterval(() => {
    if (live) live.view.tick(true, live.content.text, live.thinking.text);
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
  const liveEntry = () => ({ id: live.id, role: "assistant", content: live.content.text.slice(0, live.shown), thinking: live.thinking.text });

  function submit() {
    const text = input.value;
    // Sending while this view still waits for its sync answer is safe (and must not be lost: a
    // fast user, a busy kernel): the kernel handles the view's messages in order, so the answer
    // (without this turn) comes first and the turn's "log" after it.
    if (!text.trim() || live) return;
    model.send({ type: "send", text });
    input.value = "";
  }

  /** Ask Python for the whole conversation (at render, or after a gap); the rest waits for the answer. */
  function requestSync() {
    waitingFor = `${token}-${++syncs}`;
    root.dataset.syncs = String(syncs);
    model.send({ type: "sync", view: waitingFor });
  }

  function startLive(id, content = "", thinking = "") {
    if (live && live.id === id) return;
    live = {
      id,
      content: newPart(content),
      thinking: newPart(thinking),
      view: new MessageView({ id, role: "assistant" }, model.get("model")),
      shown: content.length,
      lastAt: null,
      reveal: null,
    };
  }

  function renderLog() {
    const stick = nearBottom();
    const seen = new Set();
    const nodes = [];
    for (const entry of entries) {
      seen.add(entry.id);
      let view = views.get(entry.id);
      if (!view) view = new MessageView(entry, model.get("model"));
      views.set(entry.id, view);
      view.update(entry, false);
      nodes.push(view.el);
    }
    for (const id of [...views.keys()]) if (!seen.has(id)) views.delete(id);
    if (live) {
      live.view.update(liveEntry(), true);
      nodes.push(live.view.el);
    }
    log.replaceChildren(...nodes);
    empty.hidden = nodes.length > 0;
    root.dataset.messages = String(entries.length);
    scrollDown(stick);
    renderControls();
  }

  function renderControls() {
    const streaming = Boolean(live);
    sendBtn.hidden = streaming;
    stopBtn.hidden = !streaming;
    regenBtn.disabled = streaming || !entries.some((m) => m.role === "user");
    clearBtn.disabled = entries.length === 0 && !streaming;
    root.dataset.state = waitingFor ? "loading" : streaming ? "streaming" : model.get("error") ? "error" : "idle";
    const box = renderError(errorBox, model.get("error"));
    if (box && !streaming && entries.some((m) => m.role === "user")) {
      box.appendChild(button("Retry", () => model.send({ type: "retry" }), { dataset: { testid: "retry" } }));
    }
  }

  function scheduleLive() {
    if (frame !== null) return;
    frame = nextFrame(() => {
      frame = null;
      if (!live) return;
      live.shown = revealedLength(live.content.text, live.reveal, performance.now());
      if (live.shown >= live.content.text.length) live.reveal = null;
      const stick = nearBottom();
      live.view.update(liveEntry(), true);
      scrollDown(stick);
      if (live.reveal) scheduleLive();
    });
  }

  // -- messages from Python (see the header) -------------------------------------------------------
  function onDelta(msg) {
    const [, id, contentAt, content, thinkingAt, thinking] = msg;
    if (!live || live.id !== id) return requestSync();
    const ok = mergeAt(live.content, content || "", contentAt) && (thinking === undefined || mergeAt(live.thinking, thinking, thinkingAt));
    if (!ok) return requestSync();
    live.reveal = null; // thinking and answer text together: shown at once
    scheduleLive();
  }

  function onLog(msg) {
    if (waitingFor) {
      if (msg.view !== waitingFor) return; // sent before the answer to this view: the answer has it
      waitingFor = null;
      entries = Array.isArray(msg.add) ? msg.add : [];
      live = null;
      if (msg.live) startLive(msg.live, msg.content || "", msg.thinking || "");
      return renderLog();
    }
    if (msg.view !== undefined) return; // another view's answer: nothing new for this one
    if (typeof msg.keep !== "number" || msg.keep > entries.length) return requestSync();
    entries = [...entries.slice(0, msg.keep), ...(msg.add || [])];
    if (!msg.live) live = null;
    else startLive(msg.live);
    renderLog();
  }

  function onEnd(msg) {
    if (!live || live.id !== msg.id || live.content.length !== msg.content_length || live.thinking.length !== (msg.thinking_length || 0)) {
      live = null;
      return requestSync();
    }
    const view = live.view;
    const entry = { role: "assistant", model: model.get("model"), ...msg.entry, id: msg.id, content: live.content.text, thinking: live.thinking.text };
    views.set(entry.id, view); // the live bubble becomes the finished message
    live = null;
    entries = [...entries, entry];
    renderLog();
  }

  /** A bare string: new answer text of the live reply (the comm keeps order; "end" checks the length). */
  function onText(text) {
    if (!live) return requestSync();
    const now = performance.now();
    const gap = live.lastAt === null ? 0 : now - live.lastAt;
    live.lastAt = now;
    live.content.text += text;
    live.content.length += codePoints(text);
    // a slow step is revealed over about the time it took to come; a fast one shows at once
    live.reveal = gap >= SMOOTH_MIN_GAP_MS ? { from: live.shown, start: now, span: 0.9 * Math.min(gap, SMOOTH_MAX_SPAN_MS) } : null;
    scheduleLive();
  }

  function onMessage(msg) {
    if (typeof msg === "string") {
      if (!waitingFor) onText(msg);
      return;
    }
    if (Array.isArray(msg)) {
      if (msg[0] === "d" && !waitingFor) onDelta(msg);
      return;
    }
    if (!msg || typeof msg !== "object") return;
    if (msg.type === "log") onLog(msg);
    else if (msg.type === "end" && !waitingFor) onEnd(msg);
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

  model.on("change:error", renderControls);
  model.on("change:model", renderSettings);
  model.on("change:system", renderSettings);
  model.on("change:options", renderSettings);
  model.on("msg:custom", onMessage);

  renderSettings();
  requestSync();
  renderLog();
  return () => {
    model.off("msg:custom", onMessage);
    if (frame !== null) cancelFrame(frame);
    clearTimeout(debounce);
    clearInterval(ticker);
  };
}

export default { render };

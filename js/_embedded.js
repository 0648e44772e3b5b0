// The PullProgress / ChatWidget a GGUFBrowser opened, drawn inside the browser's own view.
// Python relays each child's synced state in the browser's `children` trait
// (id -> {kind, ref, state}) and its custom messages as {type: "child", id, msg}. Each child is
// rendered by its own module's render() with a small stand-in for anywidget's model API, so the
// same DOM (and data-testids) appear here as in a separate view; what the child's view sends
// goes back as {type: "child_msg", id, content} and {type: "child_set", id, state}.
import chat from "./chat.js";
import pullProgress from "./pull_progress.js";
import { h } from "./_shared.js";

const KINDS = { pull: pullProgress, chat };

/** anywidget's model API (get, set, save_changes, on, off, send) over one child's relayed state. */
function childModel(model, id, initial) {
  const listeners = new Map(); // event -> Set of callbacks
  let state = { ...initial };
  let seen = Object.fromEntries(Object.entries(state).map(([k, v]) => [k, JSON.stringify(v)]));
  let pending = {};
  const emit = (event, ...args) => {
    for (const fn of [...(listeners.get(event) || [])]) fn(...args);
  };
  return {
    get: (name) => state[name],
    set(name, value) {
      state = { ...state, [name]: value };
      seen[name] = JSON.stringify(value);
      pending[name] = value;
      emit(`change:${name}`);
    },
    save_changes() {
      if (Object.keys(pending).length === 0) return;
      model.send({ type: "child_set", id, state: pending });
      pending = {};
    },
    on(event, fn) {
      for (const name of String(event).split(/\s+/)) {
        if (!listeners.has(name)) listeners.set(name, new Set());
        listeners.get(name).add(fn);
      }
    },
    off(event, fn) {
      if (!event) return listeners.clear();
      for (const name of String(event).split(/\s+/)) {
        if (fn) listeners.get(name)?.delete(fn);
        else listeners.delete(name);
      }
    },
    send: (content) => model.send({ type: "child_msg", id, content }),
    /** New relayed state: a change event per trait whose value differs. */
    update(next) {
      const changed = [];
      for (const [name, value] of Object.entries(next || {})) {
        const text = JSON.stringify(value);
        if (seen[name] !== text) {
          seen[name] = text;
          changed.push(name);
        }
      }
      state = { ...state, ...next };
      for (const name of changed) emit(`change:${name}`);
    },
    message: (msg) => emit("msg:custom", msg, []),
    close: () => listeners.clear(),
  };
}

/** Render the browser's children into `panel`, kept in step with the model; returns a cleanup. */
export function embedChildren(model, panel) {
  const shown = new Map(); // id -> {proxy, cleanup, el}

  function sync() {
    const children = model.get("children") || {};
    for (const [id, child] of Object.entries(children)) {
      const entry = shown.get(id);
      if (entry) {
        entry.proxy.update(child.state);
        continue;
      }
      const kind = KINDS[child.kind];
      if (!kind) continue;
      const el = h("div", { className: "hfw-child", dataset: { testid: "browser-child", kind: child.kind, ref: child.ref } });
      panel.appendChild(el);
      const proxy = childModel(model, id, child.state || {});
      const cleanup = kind.render({ model: proxy, el });
      shown.set(id, { proxy, cleanup, el });
    }
    for (const [id, entry] of [...shown]) {
      if (id in children) continue;
      dispose(entry);
      shown.delete(id);
    }
    panel.hidden = shown.size === 0;
  }

  function dispose(entry) {
    if (typeof entry.cleanup === "function") entry.cleanup();
    entry.proxy.close();
    entry.el.remove();
  }

  const onMessage = (msg) => {
    if (msg && msg.type === "child") shown.get(msg.id)?.proxy.message(msg.msg);
  };
  model.on("change:children", sync);
  model.on("msg:custom", onMessage);
  sync();
  return () => {
    model.off("change:children", sync);
    model.off("msg:custom", onMessage);
    for (const entry of shown.values()) dispose(entry);
    shown.clear();
  };
}

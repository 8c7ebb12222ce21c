/** Shared pieces of the console: htm bound to Preact, polling, formatting, small components. */
import { h } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import htm from "htm";

export const html = htm.bind(h);

/**
 * Runs `load` now and every `intervalMs` (slower while the tab is hidden) until unmounted or
 * `deps` change: the lists stay live without a reload. `refresh()` loads at once.
 */
export function usePoll(load, deps, intervalMs = 3000) {
  const [state, setState] = useState({ data: null, error: null, loading: true });
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  useEffect(() => {
    let stopped = false;
    let timer;
    setState((s) => ({ ...s, loading: true }));
    const run = async () => {
      try {
        const data = await loadRef.current();
        if (!stopped) setState({ data, error: null, loading: false });
      } catch (error) {
        if (!stopped) setState((s) => ({ ...s, error, loading: false }));
      }
      if (!stopped && intervalMs > 0) {
        timer = setTimeout(run, document.hidden ? intervalMs * 5 : intervalMs);
      }
    };
    run();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [...deps, tick, intervalMs]);
  return { ...state, refresh: () => setTick((t) => t + 1) };
}

/** The hash route: `#/calls/abc?status=failed` → { parts: ["calls", "abc"], query }. */
export function parseHash(hash) {
  const [p, q = ""] = hash.replace(/^#\/?/, "").split("?");
  return { parts: p.split("/").filter(Boolean).map(decodeURIComponent), query: new URLSearchParams(q) };
}

export const go = (path, query) => {
  const qs = query ? new URLSearchParams(Object.entries(query).filter(([, v]) => v)).toString() : "";
  location.hash = `#/${path}${qs ? `?${qs}` : ""}`;
};

/** ISO → "2026-11-26 09:00:01" in the browser's time zone. */
export function fmtTime(iso) {
  if (!iso) return "—";
  const d = new Date(iso);
  const p = (n, w = 2) => String(n).padStart(w, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** Seconds → "1:05" (or "1:02:05"). */
export function fmtClock(s) {
  if (s === null || s === undefined || Number.isNaN(s)) return "—";
  const t = Math.max(0, Math.floor(s));
  const hh = Math.floor(t / 3600);
  const mm = Math.floor((t % 3600) / 60);
  const ss = String(t % 60).padStart(2, "0");
  return hh ? `${hh}:${String(mm).padStart(2, "0")}:${ss}` : `${mm}:${ss}`;
}

export const fmtMs = (ms) => (ms === null || ms === undefined ? "—" : `${Math.round(ms)} ms`);
export const fmtPct = (r) => (r === null || r === undefined ? "—" : `${Math.round(r * 1000) / 10}%`);
export const short = (id) => (id ? id.slice(0, 8) : "—");

/** `<input type="datetime-local">` value ↔ ISO time. */
export const localToIso = (v) => (v ? new Date(v).toISOString() : "");
export function isoToLocal(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  return new Date(d.getTime() - d.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
}

const REDACTION = /\[[A-Z][A-Z0-9_]*\]/g;

/** Pure: text → pieces, the redaction labels ("[CREDIT_CARD]") marked. */
export function splitRedactions(text) {
  const out = [];
  let last = 0;
  for (const m of text.matchAll(REDACTION)) {
    if (m.index > last) out.push({ text: text.slice(last, m.index) });
    out.push({ text: m[0], label: m[0].slice(1, -1) });
    last = m.index + m[0].length;
  }
  if (last < text.length) out.push({ text: text.slice(last) });
  return out;
}

export const Redacted = ({ text }) =>
  splitRedactions(text).map((p) =>
    p.label
      ? html`<mark class="pii" title=${`redacted: ${p.label.toLowerCase().replace(/_/g, " ")}`}
          >${p.text}</mark
        >`
      : p.text,
  );

export const Badge = ({ value }) =>
  html`<span class=${`badge badge-${value}`}>${value?.replace(/_/g, " ")}</span>`;

export function ErrorNote({ error }) {
  if (!error) return null;
  return html`<p class="error" role="alert">${error.message ?? String(error)}</p>`;
}

export const Field = ({ label, children }) =>
  html`<label class="field"><span>${label}</span>${children}</label>`;

/** Calls: search (call_uuid, request id, status, time range) and one call's page. */
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { api } from "./api.js";
import {
  Badge,
  ErrorNote,
  Field,
  Redacted,
  fmtClock,
  fmtTime,
  go,
  html,
  isoToLocal,
  localToIso,
  short,
  splitRedactions,
  usePoll,
} from "./ui.js";

const FILTERS = ["call_uuid", "request_id", "status", "since", "until", "cursor"];

export function CallsList({ query }) {
  const filters = Object.fromEntries(FILTERS.map((k) => [k, query.get(k) ?? ""]));
  const key = FILTERS.map((k) => filters[k]).join("|");
  const { data, error } = usePoll(() => api("calls", { query: filters }), [key], 3000);
  const [form, setForm] = useState(filters);
  useEffect(() => setForm(filters), [key]);
  const set = (k) => (e) => setForm({ ...form, [k]: e.currentTarget.value });
  const submit = (e) => {
    e.preventDefault();
    go("calls", { ...form, since: localToIso(form.since), until: localToIso(form.until), cursor: "" });
  };
  return html`
    <section>
      <h1>Calls</h1>
      <form class="filters" onSubmit=${submit} aria-label="Search calls">
        <${Field} label="call_uuid"
          ><input name="call_uuid" value=${form.call_uuid} onInput=${set("call_uuid")}
        /><//>
        <${Field} label="request id"
          ><input name="request_id" value=${form.request_id} onInput=${set("request_id")}
        /><//>
        <${Field} label="status">
          <select name="status" value=${form.status} onChange=${set("status")}>
            <option value="">any</option>
            ${["queued", "processing", "succeeded", "failed"].map((s) => html`<option value=${s}>${s}</option>`)}
          </select>
        <//>
        <${Field} label="from">
          <input
            type="datetime-local"
            name="since"
            value=${isoToLocal(form.since) || form.since}
            onInput=${set("since")}
          />
        <//>
        <${Field} label="to">
          <input
            type="datetime-local"
            name="until"
            value=${isoToLocal(form.until) || form.until}
            onInput=${set("until")}
          />
        <//>
        <button type="submit">Search</button>
        <button type="button" class="secondary" onClick=${() => go("calls")}>Clear</button>
      </form>
      <${ErrorNote} error=${error} />
      ${
        data &&
        html`
          <table class="list" aria-label="Calls">
            <thead>
              <tr>
                <th>created</th>
                <th>call_uuid</th>
                <th>request id</th>
                <th>status</th>
                <th>length</th>
                <th>error</th>
              </tr>
            </thead>
            <tbody>
              ${data.calls.map(
                (c) => html`
                  <tr
                    key=${c.request_id}
                    class="row-link"
                    data-request-id=${c.request_id}
                    onClick=${() => go(`calls/${c.request_id}`)}
                  >
                    <td>${fmtTime(c.created_at)}</td>
                    <td><a href=${`#/calls/${encodeURIComponent(c.request_id)}`}>${c.call_uuid}</a></td>
                    <td class="mono" title=${c.request_id}>${short(c.request_id)}</td>
                    <td>
                      <${Badge}
                        value=${c.status}
                      />${c.progress && html` <small>${fmtClock(c.progress.done_seconds)} / ${fmtClock(c.progress.total_seconds)}</small>`}
                    </td>
                    <td>${fmtClock(c.audio_seconds)}</td>
                    <td>${c.error_code ?? ""}</td>
                  </tr>
                `,
              )}
            </tbody>
          </table>
          ${data.calls.length === 0 && html`<p class="empty">No call matches.</p>`}
          ${
            data.next_cursor &&
            html`<p>
              <button
                class="secondary"
                onClick=${() => go("calls", { ...filters, cursor: data.next_cursor })}
              >
                Older calls →
              </button>
            </p>`
          }
        `
      }
    </section>
  `;
}

/** The item playing at `t`: the last one started, while it lasts. */
export function currentIndex(items, t) {
  let idx = -1;
  for (let i = 0; i < items.length; i++) {
    if (items[i].time_start <= t + 0.05) {
      if (t < items[i].time_end + 0.05) idx = i;
    } else break;
  }
  return idx;
}

function Conversation({ items, audio, time }) {
  const speakers = useMemo(() => {
    const seen = new Map();
    for (const it of items) if (!seen.has(it.speaker_id)) seen.set(it.speaker_id, it.speaker_alias);
    return [...seen.entries()].sort((a, b) => a[0] - b[0]);
  }, [items]);
  const lane = new Map(speakers.map(([id], i) => [id, i]));
  const current = currentIndex(items, time);
  const currentRef = useRef(null);
  useEffect(() => currentRef.current?.scrollIntoView?.({ block: "nearest" }), [current]);
  const play = (t) => {
    const a = audio.current;
    if (!a) return;
    a.currentTime = t;
    a.play().catch(() => {});
  };
  return html`
    <div class="conversation" style=${`--lanes: ${speakers.length}`} aria-label="Transcript">
      <div class="conv-head">
        <span></span>
        ${speakers.map(([id, alias], i) => html`<span class=${`lane-title lane-${i % 4}`}>${alias || `Speaker ${id}`}</span>`)}
      </div>
      ${items.map(
        (it, i) => html`
          <div
            class=${`line${i === current ? " current" : ""}`}
            key=${i}
            ref=${i === current ? currentRef : null}
            data-index=${i}
            data-start=${it.time_start}
            aria-current=${i === current ? "true" : undefined}
          >
            <span class="stamp">${fmtClock(it.time_start)}</span>
            <button
              type="button"
              class=${`bubble lane-${lane.get(it.speaker_id) % 4}`}
              style=${`grid-column: ${lane.get(it.speaker_id) + 2}`}
              title=${`play from ${fmtClock(it.time_start)}`}
              onClick=${() => play(it.time_start)}
            >
              <${Redacted} text=${it.text} />
            </button>
          </div>
        `,
      )}
    </div>
  `;
}

function Summary({ summary, tags }) {
  return html`
    <section class="card">
      <h2>Summary</h2>
      ${!summary && html`<p class="empty">No summary was requested for this call.</p>`}
      ${summary && summary.status !== "succeeded" && summary.status !== "failed" && html`<p><${Badge} value=${summary.status} /></p>`}
      ${summary?.error && html`<p class="error">${summary.error.message}</p>`}
      ${summary?.summaries?.map(
        (s) =>
          html`<div class="topic">
            <h3>${s.topic}</h3>
            <p>${s.summary}</p>
          </div>`,
      )}
      ${
        tags &&
        html`<h2>Tags</h2>
          <ul class="tags">
            ${Object.entries(tags).flatMap(([cat, values]) =>
              values.map(
                (v) =>
                  html`<li>
                    <span class="tag-cat">${cat.replace(/_/g, " ")}</span> ${v.replace(/_/g, " ")}
                  </li>`,
              ),
            )}
          </ul>`
      }
    </section>
  `;
}

export function CallPage({ id }) {
  const [status, setStatus] = useState(null);
  const busy = status === "queued" || status === "processing";
  const { data, error } = usePoll(() => api(`calls/${encodeURIComponent(id)}`), [id], busy ? 2000 : 10000);
  useEffect(() => setStatus(data?.status ?? null), [data?.status]);
  // the URL carries a fresh token each time: keep the first so playback is not reset
  const audioUrl = useRef(null);
  useEffect(() => {
    audioUrl.current = null;
  }, [id]);
  if (data?.audio_url && !audioUrl.current) audioUrl.current = data.audio_url;
  const audio = useRef(null);
  const [time, setTime] = useState(0);
  const redactions = useMemo(
    () => (data?.transcript ?? []).flatMap((it) => splitRedactions(it.text).filter((p) => p.label)).length,
    [data?.transcript],
  );
  if (!data)
    return html`<section><${ErrorNote} error=${error} />${!error && html`<p>Loading…</p>`}</section>`;
  return html`
    <section class="call">
      <p class="crumbs"><a href="#/calls">Calls</a> /</p>
      <h1>Call <span class="mono">${data.call_uuid}</span> <${Badge} value=${data.status} /></h1>
      <${ErrorNote} error=${error} />
      <dl class="facts">
        <dt>request id</dt>
        <dd class="mono">${data.request_id}</dd>
        <dt>created</dt>
        <dd>${fmtTime(data.created_at)}</dd>
        <dt>finished</dt>
        <dd>${fmtTime(data.finished_at)}</dd>
        <dt>length</dt>
        <dd>${fmtClock(data.metadata?.audio_duration ?? data.audio_seconds)}</dd>
        <dt>language</dt>
        <dd>${data.lang ?? "—"}</dd>
        <dt>channels</dt>
        <dd>${data.metadata?.num_of_channels ?? "—"}</dd>
        ${
          data.redaction &&
          html`<dt>redaction</dt>
            <dd>
              ${`${redactions} mark${redactions === 1 ? "" : "s"}${data.redaction.audio ? ", audio silenced" : ""}`}
            </dd>`
        }
      </dl>
      ${data.error && html`<p class="error">${data.error.code}: ${data.error.message}</p>`}
      <div class="player">
        ${
          audioUrl.current
            ? html`<audio
                ref=${audio}
                controls
                preload="auto"
                src=${audioUrl.current}
                onTimeUpdate=${(e) => setTime(e.currentTarget.currentTime)}
                onSeeked=${(e) => setTime(e.currentTarget.currentTime)}
              ></audio>`
            : html`<p class="empty">The audio of this call is no longer kept.</p>`
        }
      </div>
      <div class="call-body">
        <section class="card">
          <h2>Transcript</h2>
          ${
            data.transcript
              ? data.transcript.length
                ? html`<${Conversation} items=${data.transcript} audio=${audio} time=${time} />`
                : html`<p class="empty">No speech was found.</p>`
              : html`<p class="empty">${busy ? "Transcribing…" : "No transcript."}</p>`
          }
        </section>
        <div>
          <${Summary} summary=${data.summary} tags=${data.tags} />
          <section class="card">
            <h2>Callbacks</h2>
            ${data.callbacks.length === 0 && html`<p class="empty">No callback_url: answered inline.</p>`}
            <ul class="plain">
              ${data.callbacks.map(
                (d) =>
                  html`<li>
                    <a href=${`#/deliveries/${d.id}`}>${d.event}</a> <${Badge} value=${d.state} />
                    <small>${d.attempts.length} attempt${d.attempts.length === 1 ? "" : "s"}</small>
                  </li>`,
              )}
            </ul>
          </section>
        </div>
      </div>
    </section>
  `;
}

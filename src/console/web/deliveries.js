/** Deliveries: filtered list, recovery of a time window, one delivery's attempts and actions. */
import { useEffect, useState } from "preact/hooks";
import { api } from "./api.js";
import {
  Badge,
  ErrorNote,
  Field,
  fmtMs,
  fmtTime,
  go,
  html,
  isoToLocal,
  localToIso,
  short,
  usePoll,
} from "./ui.js";

const FILTERS = ["state", "host", "event", "since", "until"];
const STATES = ["pending", "delivering", "delivered", "abandoned"];
const EVENTS = ["transcriptDelivered", "summaryDelivered"];

function whenNext(d) {
  if (d.held_reason) return html`<span class="held">held: ${d.held_reason.replace(/_/g, " ")}</span>`;
  if (d.next_attempt_at) return `next ${fmtTime(d.next_attempt_at)}`;
  return "";
}

export function DeliveriesList({ query }) {
  const filters = Object.fromEntries(FILTERS.map((k) => [k, query.get(k) ?? ""]));
  const key = FILTERS.map((k) => filters[k]).join("|");
  const { data, error } = usePoll(
    () => api("deliveries", { query: { ...filters, limit: 100 } }),
    [key],
    3000,
  );
  const [form, setForm] = useState(filters);
  useEffect(() => setForm(filters), [key]);
  const set = (k) => (e) => setForm({ ...form, [k]: e.currentTarget.value });
  const submit = (e) => {
    e.preventDefault();
    go("deliveries", { ...form, since: localToIso(form.since), until: localToIso(form.until) });
  };
  return html`
    <section>
      <h1>Deliveries</h1>
      <form class="filters" onSubmit=${submit} aria-label="Filter deliveries">
        <${Field} label="state">
          <select name="state" value=${form.state} onChange=${set("state")}>
            <option value="">any</option>
            ${STATES.map((s) => html`<option value=${s}>${s}</option>`)}
          </select>
        <//>
        <${Field} label="host"
          ><input name="host" placeholder="hooks.example.com" value=${form.host} onInput=${set("host")}
        /><//>
        <${Field} label="event">
          <select name="event" value=${form.event} onChange=${set("event")}>
            <option value="">any</option>
            ${EVENTS.map((s) => html`<option value=${s}>${s}</option>`)}
          </select>
        <//>
        <${Field} label="from"
          ><input
            type="datetime-local"
            name="since"
            value=${isoToLocal(form.since) || form.since}
            onInput=${set("since")}
        /><//>
        <${Field} label="to"
          ><input
            type="datetime-local"
            name="until"
            value=${isoToLocal(form.until) || form.until}
            onInput=${set("until")}
        /><//>
        <button type="submit">Filter</button>
        <button type="button" class="secondary" onClick=${() => go("deliveries")}>Clear</button>
      </form>
      <${ErrorNote} error=${error} />
      ${
        data &&
        html`
          <table class="list" aria-label="Deliveries">
            <thead>
              <tr>
                <th>created</th>
                <th>event</th>
                <th>host</th>
                <th>state</th>
                <th>attempts</th>
                <th>last status</th>
                <th>next</th>
                <th>request</th>
              </tr>
            </thead>
            <tbody>
              ${data.deliveries.map(
                (d) => html`
                  <tr
                    key=${d.id}
                    class="row-link"
                    data-delivery-id=${d.id}
                    data-state=${d.state}
                    onClick=${() => go(`deliveries/${d.id}`)}
                  >
                    <td><a href=${`#/deliveries/${d.id}`}>${fmtTime(d.created_at)}</a></td>
                    <td>${d.event}</td>
                    <td>${new URL(d.url).host}</td>
                    <td><${Badge} value=${d.state} /></td>
                    <td>${d.attempts.length}</td>
                    <td>${d.webhook_status_code ?? d.attempts.at(-1)?.error_class ?? "—"}</td>
                    <td>${whenNext(d)}</td>
                    <td class="mono">
                      <a href=${`#/calls/${d.request_id}`} onClick=${(e) => e.stopPropagation()}
                        >${short(d.request_id)}</a
                      >
                    </td>
                  </tr>
                `,
              )}
            </tbody>
          </table>
          ${data.deliveries.length === 0 && html`<p class="empty">No delivery matches.</p>`}
        `
      }
      <${Recover} />
    </section>
  `;
}

/** Recover a time window: a dry run first (how many), then the confirmation re-sends them. */
function Recover() {
  const hourAgo = isoToLocal(new Date(Date.now() - 3600_000).toISOString());
  const [form, setForm] = useState({ since: hourAgo, until: "", state: "abandoned", host: "" });
  const [dry, setDry] = useState(null);
  const [done, setDone] = useState(null);
  const [error, setError] = useState(null);
  const set = (k) => (e) => {
    setForm({ ...form, [k]: e.currentTarget.value });
    setDry(null);
  };
  const body = () => ({
    since: localToIso(form.since),
    ...(form.until && { until: localToIso(form.until) }),
    state: form.state,
    ...(form.host && { host: form.host }),
  });
  const run = async (dryRun) => {
    setError(null);
    setDone(null);
    try {
      const r = await api("deliveries/recover", { method: "POST", body: { ...body(), dry_run: dryRun } });
      if (dryRun) setDry(r);
      else {
        setDone(r);
        setDry(null);
      }
    } catch (e) {
      setError(e);
    }
  };
  return html`
    <section class="card recover" aria-label="Recover deliveries">
      <h2>Recover a time window</h2>
      <form class="filters" onSubmit=${(e) => (e.preventDefault(), run(true))}>
        <${Field} label="from"
          ><input
            type="datetime-local"
            name="recover_since"
            required
            value=${form.since}
            onInput=${set("since")}
        /><//>
        <${Field} label="to"
          ><input type="datetime-local" name="recover_until" value=${form.until} onInput=${set("until")}
        /><//>
        <${Field} label="state">
          <select name="recover_state" value=${form.state} onChange=${set("state")}>
            <option value="abandoned">abandoned</option>
            <option value="delivered">delivered</option>
          </select>
        <//>
        <${Field} label="host"><input name="recover_host" value=${form.host} onInput=${set("host")} /><//>
        <button type="submit" class="secondary">Dry run</button>
      </form>
      <${ErrorNote} error=${error} />
      ${
        dry &&
        html`<p class="dry-run" role="status">
          ${`${dry.matched} ${dry.matched === 1 ? "delivery matches" : "deliveries match"}${dry.has_more ? " (more beyond the limit)" : ""}. `}
          ${dry.matched > 0 && html` <button type="button" class="danger" onClick=${() => run(false)}>Re-send ${dry.matched}</button>`}
        </p>`
      }
      ${done && html`<p class="ok" role="status">Restarted ${done.restarted} of ${done.matched}.</p>`}
    </section>
  `;
}

function Attempts({ attempts }) {
  return html`
    <table class="list attempts" aria-label="Attempts">
      <thead>
        <tr>
          <th>series</th>
          <th>#</th>
          <th>time</th>
          <th>result</th>
          <th>latency</th>
          <th>response / error</th>
        </tr>
      </thead>
      <tbody>
        ${[...attempts].reverse().map(
          (a) => html`
            <tr
              key=${`${a.series}-${a.attempt}`}
              class=${a.status_code >= 200 && a.status_code < 300 ? "ok-row" : "fail-row"}
            >
              <td>${a.series}</td>
              <td>${a.attempt}</td>
              <td>${fmtTime(a.at)}</td>
              <td>${a.status_code ? html`<b>${a.status_code}</b>` : ""} ${a.error_class ?? ""}</td>
              <td>${fmtMs(a.latency_ms)}</td>
              <td><code class="snippet">${a.response_body ?? a.error ?? ""}</code></td>
            </tr>
          `,
        )}
      </tbody>
    </table>
  `;
}

export function DeliveryPage({ id }) {
  const { data: d, error, refresh } = usePoll(() => api(`deliveries/${encodeURIComponent(id)}`), [id], 1500);
  const host = d ? new URL(d.url).host : null;
  const receivers = usePoll(
    () => (host ? api("receivers", { query: { host } }) : Promise.resolve(null)),
    [host],
    5000,
  );
  const circuit = receivers.data?.receivers?.[0]?.circuit ?? (receivers.data ? { state: "closed" } : null);
  const [url, setUrl] = useState("");
  const [keepAuth, setKeepAuth] = useState(false);
  const [note, setNote] = useState(null);
  const [actionError, setActionError] = useState(null);
  const act = async (label, body) => {
    setNote(null);
    setActionError(null);
    try {
      await api(`deliveries/${encodeURIComponent(id)}/redeliver`, { method: "POST", body });
      setNote(`${label}: a new attempt series has started.`);
      refresh();
    } catch (e) {
      setActionError(e);
    }
  };
  if (!d) return html`<section><${ErrorNote} error=${error} />${!error && html`<p>Loading…</p>`}</section>`;
  const inFlight = d.state === "delivering";
  return html`
    <section class="delivery">
      <p class="crumbs"><a href="#/deliveries">Deliveries</a> /</p>
      <h1>${d.event} <${Badge} value=${d.state} /></h1>
      <${ErrorNote} error=${error} />
      <dl class="facts">
        <dt>delivery id</dt>
        <dd class="mono">${d.id}</dd>
        <dt>request</dt>
        <dd class="mono"><a href=${`#/calls/${d.request_id}`}>${d.request_id}</a></dd>
        <dt>url</dt>
        <dd class="mono">${d.url}</dd>
        <dt>policy</dt>
        <dd>${d.policy}</dd>
        <dt>series</dt>
        <dd>${d.series} (${d.attempts_in_series} attempt${d.attempts_in_series === 1 ? "" : "s"} in it)</dd>
        <dt>next attempt</dt>
        <dd>${fmtTime(d.next_attempt_at)}</dd>
        <dt>held</dt>
        <dd class="held-reason">
          ${d.held_reason ? `${d.held_reason.replace(/_/g, " ")}${d.held_until ? ` until ${fmtTime(d.held_until)}` : ""}` : "no"}
        </dd>
        <dt>circuit (${host})</dt>
        <dd class="circuit">
          ${circuit ? html`<${Badge} value=${circuit.state} />` : "…"}${circuit?.open_until ? ` until ${fmtTime(circuit.open_until)}` : ""}
        </dd>
        <dt>auth header</dt>
        <dd>${d.auth_header ? d.auth_header.name : "none"}</dd>
      </dl>
      <section class="card actions" aria-label="Actions">
        <h2>Actions</h2>
        <div class="row">
          <button type="button" disabled=${inFlight} onClick=${() => act("Redelivered", {})}>
            Redeliver
          </button>
          <button
            type="button"
            disabled=${inFlight}
            onClick=${() => act("Sent now", { now: true })}
            title="one attempt right away, past an open circuit or a busy host"
          >
            Send now
          </button>
        </div>
        <form
          class="row"
          onSubmit=${(e) => (e.preventDefault(), act("Redelivered to the new URL", { url, ...(keepAuth && { keep_auth_header: true }) }))}
        >
          <input
            name="new_url"
            type="url"
            required
            placeholder="https://new-receiver.example/hooks"
            value=${url}
            onInput=${(e) => setUrl(e.currentTarget.value)}
          />
          <label class="check"
            ><input
              type="checkbox"
              checked=${keepAuth}
              onChange=${(e) => setKeepAuth(e.currentTarget.checked)}
            />
            keep auth header</label
          >
          <button type="submit" class="secondary" disabled=${inFlight}>Redeliver to this URL</button>
        </form>
        ${note && html`<p class="ok" role="status">${note}</p>`}
        <${ErrorNote} error=${actionError} />
      </section>
      <h2>Attempts <small>(${d.attempts.length})</small></h2>
      ${d.attempts.length ? html`<${Attempts} attempts=${d.attempts} />` : html`<p class="empty">No attempt yet.</p>`}
    </section>
  `;
}

/** Receivers: one row per callback host over the last hour, with attempts per bucket drawn inline. */
import { api } from "./api.js";
import { Badge, ErrorNote, fmtMs, fmtPct, fmtTime, go, html, usePoll } from "./ui.js";

/** Stacked bars per bucket: delivered (2xx) below, failed above; height by the busiest bucket. */
export function Chart({ buckets, width = 180, height = 36 }) {
  const max = Math.max(1, ...buckets.map((b) => b.attempts));
  const w = width / buckets.length;
  return html`
    <svg
      class="chart"
      width=${width}
      height=${height}
      viewBox=${`0 0 ${width} ${height}`}
      role="img"
      aria-label=${`attempts per ${buckets.length} buckets`}
    >
      <line x1="0" y1=${height - 0.5} x2=${width} y2=${height - 0.5} class="axis" />
      ${buckets.map((b, i) => {
        const ok = (b.succeeded / max) * (height - 2);
        const failed = ((b.attempts - b.succeeded) / max) * (height - 2);
        const x = i * w + 1;
        return html`<g key=${i}>
          <title>${fmtTime(b.start)}: ${b.attempts} attempts, ${b.succeeded} delivered</title>
          <rect class="ok" x=${x} y=${height - 1 - ok} width=${w - 2} height=${ok} />
          <rect class="failed" x=${x} y=${height - 1 - ok - failed} width=${w - 2} height=${failed} />
        </g>`;
      })}
    </svg>
  `;
}

export function Receivers() {
  const { data, error } = usePoll(() => api("receivers"), [], 5000);
  return html`
    <section>
      <h1>Receivers <small>last hour</small></h1>
      <${ErrorNote} error=${error} />
      ${
        data &&
        html`
          <table class="list" aria-label="Receivers">
            <thead>
              <tr>
                <th>host</th>
                <th>success</th>
                <th>attempts</th>
                <th>p50</th>
                <th>p99</th>
                <th>circuit</th>
                <th>pending</th>
                <th>attempts per ${Math.round(data.bucket_seconds / 60)} min</th>
              </tr>
            </thead>
            <tbody>
              ${data.receivers.map(
                (r) => html`
                  <tr key=${r.host} data-host=${r.host}>
                    <td>
                      <a
                        href=${`#/deliveries?host=${encodeURIComponent(r.host)}`}
                        onClick=${(e) => (e.preventDefault(), go("deliveries", { host: r.host }))}
                        >${r.host}</a
                      >
                    </td>
                    <td class=${r.success_rate !== null && r.success_rate < 0.9 ? "bad" : ""}>
                      ${fmtPct(r.success_rate)}
                    </td>
                    <td>${r.attempts}</td>
                    <td>${fmtMs(r.p50_latency_ms)}</td>
                    <td>${fmtMs(r.p99_latency_ms)}</td>
                    <td><${Badge} value=${r.circuit.state} /></td>
                    <td>${r.pending}</td>
                    <td><${Chart} buckets=${r.buckets} /></td>
                  </tr>
                `,
              )}
            </tbody>
          </table>
          ${data.receivers.length === 0 && html`<p class="empty">No callback in the last hour.</p>`}
        `
      }
    </section>
  `;
}

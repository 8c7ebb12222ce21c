/**
 * The console's entry: a login form when the server wants a key, the navigation and a hash
 * router (`#/calls`, `#/calls/:id`, `#/deliveries`, `#/deliveries/:id`, `#/receivers`).
 */
import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { api, apiKey, onUnauthorized } from "./api.js";
import { CallPage, CallsList } from "./calls.js";
import { DeliveriesList, DeliveryPage } from "./deliveries.js";
import { Receivers } from "./receivers.js";
import { ErrorNote, html, parseHash } from "./ui.js";

function Login({ refused, onKey }) {
  const [key, setKey] = useState("");
  return html`
    <main class="login">
      <form aria-label="Sign in" onSubmit=${(e) => (e.preventDefault(), onKey(key.trim()))}>
        <h1>callscribe console</h1>
        <p>This server needs an API key (one of API_KEYS). It is kept in this tab only.</p>
        <label class="field"
          ><span>API key</span>
          <input
            name="apikey"
            type="password"
            autocomplete="current-password"
            required
            value=${key}
            onInput=${(e) => setKey(e.currentTarget.value)}
          />
        </label>
        ${refused && html`<p class="error" role="alert">That key was refused.</p>`}
        <button type="submit">Sign in</button>
      </form>
    </main>
  `;
}

function useHash() {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const on = () => setHash(location.hash);
    addEventListener("hashchange", on);
    return () => removeEventListener("hashchange", on);
  }, []);
  return parseHash(hash || "#/calls");
}

function Page({ route }) {
  const [section, id] = route.parts;
  if (section === "calls" || section === undefined)
    return id ? html`<${CallPage} id=${id} />` : html`<${CallsList} query=${route.query} />`;
  if (section === "deliveries")
    return id ? html`<${DeliveryPage} id=${id} />` : html`<${DeliveriesList} query=${route.query} />`;
  if (section === "receivers") return html`<${Receivers} />`;
  return html`<p class="error">No page ${section}. <a href="#/calls">Calls</a></p>`;
}

function App() {
  // null: checking; "open": no key needed; "key": signed in; "login": a key is needed
  const [auth, setAuth] = useState(null);
  const [refused, setRefused] = useState(false);
  const [error, setError] = useState(null);
  const route = useHash();
  const check = async () => {
    try {
      await api("calls", { query: { limit: 1 } });
      setAuth(apiKey.get() ? "key" : "open");
      setError(null);
    } catch (e) {
      if (e.status !== 401) setError(e); // a 401 went through onUnauthorized
    }
  };
  useEffect(() => {
    onUnauthorized(() => {
      setRefused(Boolean(apiKey.get()));
      apiKey.clear();
      setAuth("login");
    });
    check();
  }, []);
  if (auth === "login")
    return html`<${Login} refused=${refused} onKey=${(k) => (apiKey.set(k), setAuth(null), check())} />`;
  if (auth === null)
    return html`<p class="boot">Connecting…</p>
      <${ErrorNote} error=${error} />`;
  const tab = route.parts[0] ?? "calls";
  return html`
    <header class="top">
      <strong class="brand">callscribe</strong>
      <nav>
        ${["calls", "deliveries", "receivers"].map(
          (t) =>
            html`<a
              href=${`#/${t}`}
              class=${tab === t ? "active" : ""}
              aria-current=${tab === t ? "page" : undefined}
              >${t[0].toUpperCase() + t.slice(1)}</a
            >`,
        )}
      </nav>
      <span class="live" title="lists refresh every few seconds">● live</span>
      ${auth === "key" && html`<button type="button" class="link" onClick=${() => (apiKey.clear(), setAuth("login"), setRefused(false))}>Sign out</button>`}
    </header>
    <main><${Page} route=${route} /></main>
  `;
}

render(html`<${App} />`, document.getElementById("app"));

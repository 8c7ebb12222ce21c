/**
 * The operator console (`/console`) in a real browser: headless Debian Chromium driven by
 * playwright-core against a real server (API keys on) with finished calls (flite audio through
 * PocketSphinx) and deliveries, one of them abandoned by a receiver answering 500. Finds a call,
 * plays it and seeks from the transcript, redelivers the abandoned delivery and sees the new
 * attempts appear without a reload, reads the receivers, and saves the README's screenshots to
 * docs/screenshots/.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { chromium, type Browser, type Page } from "playwright-core";
import Fastify from "fastify";
import { createAudioTokens, parseRange } from "../src/api/admin/audio.ts";
import { registerCallsRoutes } from "../src/api/admin/calls-routes.ts";
import { registerApiKeyAuth } from "../src/api/auth.ts";
import { registerErrorHandling } from "../src/api/errors.ts";
import { createBlobStore } from "../src/store/blobs.ts";
import type { JobRow, Store } from "../src/store/types.ts";
import { concatPcm, RATE, sayPcm, silence, tempDir, writeWav } from "./helpers/audio.ts";
import { startReceiver, type Receiver } from "./helpers/receiver.ts";
import { poll, startTestServer, type TestServer } from "./helpers/server.ts";

const CHROMIUM = "/usr/bin/chromium";
const KEY = "console-test-key";
/** another tenant's key: sees none of acme's calls, deliveries or receivers */
const RIVAL = "rival-test-key";
const SHOTS = join(import.meta.dirname, "..", "docs", "screenshots");

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The agent on the left channel, the customer on the right, one line at a time. */
const SCRIPT: Array<{ speaker: 0 | 1; text: string }> = [
  { speaker: 0, text: "Thank you for calling customer support. How can I help you today?" },
  { speaker: 1, text: "I was charged twice on my last bill and I would like a refund." },
  { speaker: 0, text: "I am sorry about that. What is your phone number?" },
  { speaker: 1, text: "My phone number is five five five, two three four, five six seven eight." },
  { speaker: 0, text: "Thank you. I will refund the duplicate charge today." },
];

function makeCall(dir: string): string {
  const lanes: Int16Array[][] = [[silence(0.4)], [silence(0.4)]];
  for (const line of SCRIPT) {
    const speech = sayPcm(line.text, "slt");
    lanes[line.speaker]!.push(speech, silence(0.5));
    lanes[1 - line.speaker]!.push(silence(speech.length / RATE + 0.5));
  }
  return writeWav(join(dir, "call.wav"), [concatPcm(...lanes[0]!), concatPcm(...lanes[1]!)]);
}

/** Decodes a PNG with ffmpeg: its size and how many distinct grey levels it has. */
function pngStats(file: string) {
  const probe = execFileSync("ffprobe", [
    "-v",
    "error",
    "-show_entries",
    "stream=width,height",
    "-of",
    "csv=p=0",
    file,
  ])
    .toString()
    .trim()
    .split(",")
    .map(Number);
  const grey = execFileSync(
    "ffmpeg",
    ["-v", "error", "-i", file, "-f", "rawvideo", "-pix_fmt", "gray", "-"],
    {
      maxBuffer: 1 << 28,
    },
  );
  const levels = new Set(grey);
  let dark = 0;
  for (const v of grey) if (v < 128) dark++;
  return { width: probe[0]!, height: probe[1]!, levels: levels.size, darkShare: dark / grey.length };
}

describe("console (/console) in headless Chromium", { timeout: 240_000 }, () => {
  let server: TestServer;
  let good: Receiver;
  let bad: Receiver;
  let browser: Browser;
  let page: Page;
  let callA: Json;
  let abandonedId: string;
  const tmp = tempDir();
  /** script errors in the page (a 401 while signed out is expected, not one of them) */
  const pageErrors: string[] = [];

  const api = async (path: string, init: RequestInit = {}) => {
    const res = await fetch(`${server.url}${path}`, {
      ...init,
      headers: { apikey: KEY, ...(init.headers as Record<string, string>) },
    });
    return (await res.json()) as Json;
  };
  const submit = async (wav: string, fields: Record<string, string>) => {
    const form = new FormData();
    for (const [k, v] of Object.entries(fields)) form.append(k, v);
    form.append("file", new Blob([readFileSync(wav)]), "call.wav");
    const body = await api("/transcribe", { method: "POST", body: form });
    assert.equal(body.status, "accepted", JSON.stringify(body));
    return body.request_id as string;
  };

  before(async () => {
    assert.ok(
      existsSync(CHROMIUM),
      `${CHROMIUM} is missing: scripts/setup.sh installs the Debian package chromium (npm test runs it)`,
    );
    const wav = makeCall(tmp.dir);
    const short = writeWav(
      join(tmp.dir, "short.wav"),
      concatPcm(silence(0.3), sayPcm("Hello, this is a short test call.")),
    );
    [server, good, bad, browser] = await Promise.all([
      startTestServer({ API_KEYS: `acme:${KEY},rival:${RIVAL}` }),
      startReceiver([200]),
      startReceiver([500]),
      chromium.launch({
        executablePath: CHROMIUM,
        headless: true,
        args: [
          "--headless",
          "--no-sandbox",
          "--disable-gpu",
          "--disable-background-networking",
          "--autoplay-policy=no-user-gesture-required",
        ],
      }),
    ]);
    const a = await submit(wav, {
      call_uuid: "console-call-a",
      callback_url: `${good.url}/hooks`,
      summarize: "true",
      redact_pii: "true",
    });
    const b = await submit(short, { call_uuid: "console-call-b", callback_url: `${bad.url}/hooks` });
    // A: transcript and summary delivered; B: three 500s, abandoned (FAST_DELIVERY_ENV retries)
    await poll(async () => good.acknowledged().length >= 2, 150_000);
    const abandoned = await poll(async () => {
      const list = await api("/deliveries?state=abandoned");
      return list.deliveries.find((d: Json) => d.request_id === b);
    }, 60_000);
    abandonedId = abandoned.id;
    callA = await api(`/calls/${a}`);
    assert.equal(callA.status, "succeeded");
    page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
    page.setDefaultTimeout(10_000);
    page.on("pageerror", (err) => pageErrors.push(err.message));
  });

  after(async () => {
    await browser?.close();
    await server?.cleanup();
    await good?.close();
    await bad?.close();
    tmp.cleanup();
  });

  it("asks for the API key, refuses a wrong one, then finds a call by call_uuid", async () => {
    await page.goto(`${server.url}/console`);
    const key = page.locator('input[name="apikey"]');
    await key.fill("not-the-key");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByText("That key was refused.").waitFor();
    await key.fill(KEY);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "Calls" }).waitFor();
    // both calls are listed; the search narrows to one
    await page.locator("tr[data-request-id]").nth(1).waitFor();
    await page.locator('input[name="call_uuid"]').fill("console-call-a");
    await page.getByRole("button", { name: "Search" }).click();
    await poll(async () => (await page.locator("tr[data-request-id]").count()) === 1, 10_000);
    assert.match(page.url(), /#\/calls\?call_uuid=console-call-a/);
    assert.equal(await page.locator("tr[data-request-id]").getAttribute("data-request-id"), callA.request_id);
    await page.locator("tr[data-request-id]").click();
    await page.getByRole("heading", { name: /Call console-call-a/ }).waitFor();
    assert.equal(await page.evaluate(() => sessionStorage.getItem("callscribe.apikey")), KEY);
  });

  it("shows the transcript as a conversation in speaker lanes, with the redaction marks, summary and tags", async () => {
    const items = callA.transcript as Json[];
    assert.ok(items.length >= 4, JSON.stringify(items));
    await poll(async () => (await page.locator(".conversation .line").count()) === items.length, 10_000);
    assert.deepEqual(await page.locator(".lane-title").allTextContents(), ["Agent", "User"]);
    // each line sits in its speaker's lane (grid column 2 = speaker 0, 3 = speaker 1)
    const columns = await page
      .locator(".conversation .bubble")
      .evaluateAll((els) => els.map((e) => getComputedStyle(e).gridColumnStart));
    assert.deepEqual(
      columns,
      items.map((i) => String(i.speaker_id + 2)),
    );
    const labels = items.flatMap((i) => (i.text as string).match(/\[[A-Z_]+\]/g) ?? []);
    assert.ok(
      labels.includes("[PHONE_NUMBER]"),
      `redact_pii found the phone number: ${JSON.stringify(items)}`,
    );
    assert.deepEqual(await page.locator("mark.pii").allTextContents(), labels);
    assert.ok(callA.summary?.summaries?.length, JSON.stringify(callA.summary));
    await page.locator(".topic h3").first().waitFor();
    assert.equal(await page.locator(".topic h3").first().textContent(), callA.summary.summaries[0].topic);
    assert.ok((await page.locator("ul.tags li").count()) > 0, "tags are shown");
  });

  it("plays the call: time advances and the current line is highlighted; a click on a line seeks there", async () => {
    const items = callA.transcript as Json[];
    const audio = page.locator("audio");
    await page.waitForFunction(() => (document.querySelector("audio")?.readyState ?? 0) >= 1);
    await audio.evaluate((a: HTMLAudioElement) => a.play());
    await page.waitForFunction(() => (document.querySelector("audio")?.currentTime ?? 0) > 0.8, null, {
      timeout: 10_000,
    });
    await page.locator(".line.current").waitFor({ timeout: 10_000 });

    const target = items.length - 2;
    await page.locator(`.line[data-index="${target}"] .bubble`).click();
    const t = await audio.evaluate((a: HTMLAudioElement) => a.currentTime);
    assert.ok(
      t >= items[target]!.time_start - 0.05 && t < items[target]!.time_start + 1.5,
      `seeked to ${t}, line starts at ${items[target]!.time_start}`,
    );
    await page.locator(`.line.current[data-index="${target}"]`).waitFor({ timeout: 5000 });
    await page.waitForFunction(
      (start) => (document.querySelector("audio")?.currentTime ?? 0) > start + 0.3,
      items[target]!.time_start,
      { timeout: 5000 },
    );
    await audio.evaluate((a: HTMLAudioElement) => a.pause());
  });

  it("screenshot of the call page (docs/screenshots/console-call.png) is a real page", async () => {
    const items = callA.transcript as Json[];
    // the customer's phone line (with its mark) highlighted, paused, from the top
    const phone = items.findIndex((i) => String(i.text).includes("[PHONE_NUMBER]"));
    await page.locator(`.line[data-index="${phone}"] .bubble`).click();
    await page.locator(`.line.current[data-index="${phone}"]`).waitFor();
    await page.locator("audio").evaluate((a: HTMLAudioElement) => a.pause());
    await page.evaluate(() => window.scrollTo(0, 0));
    mkdirSync(SHOTS, { recursive: true });
    const file = join(SHOTS, "console-call.png");
    writeFileSync(file, await page.screenshot({ fullPage: true }));
    const s = pngStats(file);
    assert.equal(s.width, 1360);
    assert.ok(s.height >= 600, `height ${s.height}`);
    assert.ok(s.levels > 40, `only ${s.levels} grey levels: a blank page?`);
    assert.ok(s.darkShare > 0.01 && s.darkShare < 0.6, `dark share ${s.darkShare}`);
  });

  it("recovers by dry run first, then redelivers the abandoned delivery: new attempts appear without a reload", async () => {
    await page.goto(`${server.url}/console#/deliveries?state=abandoned`);
    const row = page.locator(`tr[data-delivery-id="${abandonedId}"]`);
    await row.waitFor();
    assert.equal(await page.locator("tr[data-delivery-id]").count(), 1, "only the abandoned one");

    // recover a window: the dry run says how many, nothing is sent until confirmed
    await page.locator('input[name="recover_since"]').fill("2000-01-01T00:00");
    await page.getByRole("button", { name: "Dry run" }).click();
    await page.getByText("1 delivery matches").waitFor();
    await page.getByRole("button", { name: "Re-send 1" }).waitFor();
    assert.equal(bad.received.length, 3);

    await row.click();
    await page.getByRole("heading", { name: /transcriptDelivered/ }).waitFor();
    const attempts = page.locator("table.attempts tbody tr");
    assert.equal(await attempts.count(), 3);
    assert.match((await attempts.first().textContent()) ?? "", /500/);
    assert.match((await attempts.first().textContent()) ?? "", /answer 500/, "response snippet");
    await page.locator(".circuit .badge").waitFor();

    // the receiver is fixed; a page marker proves the page is never reloaded
    bad.setScript([200]);
    await page.evaluate(() => Object.assign(window, { marker: 1 }));
    await page.getByRole("button", { name: "Redeliver", exact: true }).click();
    await poll(async () => (await attempts.count()) === 4, 15_000);
    assert.match((await attempts.first().textContent()) ?? "", /200/);
    await page.locator("h1 .badge-delivered").waitFor({ timeout: 5000 });

    // to a new URL: the good receiver, another path
    await page.locator('input[name="new_url"]').fill(`${good.url}/moved`);
    await page.getByRole("button", { name: "Redeliver to this URL" }).click();
    await poll(async () => (await attempts.count()) === 5, 15_000);
    assert.ok(good.received.some((r) => r.path === "/moved"));
    await page.getByRole("button", { name: "Send now" }).click();
    await poll(async () => (await attempts.count()) === 6, 15_000);
    assert.equal(
      await page.evaluate(() => (window as unknown as { marker?: number }).marker),
      1,
      "no reload",
    );

    const file = join(SHOTS, "console-delivery.png");
    writeFileSync(file, await page.screenshot({ fullPage: true }));
    assert.ok(pngStats(file).levels > 40);
  });

  it("lists receivers per host with success rate, latency, circuit, pending and a chart", async () => {
    await page.goto(`${server.url}/console#/receivers`);
    const badHost = new URL(bad.url).host;
    const row = page.locator(`tr[data-host="${badHost}"]`);
    await row.waitFor();
    const cells = await row.locator("td").allTextContents();
    // three 500s then one 200: 25 %
    assert.equal(cells[1], "25%");
    assert.equal(cells[2], "4");
    assert.match(cells[3]!, /^\d+ ms$/);
    assert.ok((await row.locator("svg.chart rect.failed").count()) > 0);
    await page.locator(`tr[data-host="${new URL(good.url).host}"]`).waitFor();
    const file = join(SHOTS, "console-receivers.png");
    writeFileSync(file, await page.screenshot({ fullPage: false }));
    assert.ok(pngStats(file).levels > 40);
  });

  it("serves the audio with byte ranges, behind the key or the signed URL of that call only", async () => {
    const path = `/calls/${callA.request_id}/audio`;
    const url = `${server.url}/${callA.audio_url as string}`;
    assert.match(callA.audio_url, new RegExp(`^calls/${callA.request_id}/audio\\?token=`));
    assert.equal((await fetch(`${server.url}${path}`)).status, 401, "no key, no token");
    const whole = await fetch(url);
    assert.equal(whole.status, 200);
    assert.equal(whole.headers.get("content-type"), "audio/wav");
    assert.equal(whole.headers.get("accept-ranges"), "bytes");
    const bytes = Buffer.from(await whole.arrayBuffer());
    assert.equal(Number(whole.headers.get("content-length")), bytes.length);
    assert.equal(bytes.subarray(0, 4).toString(), "RIFF");
    const part = await fetch(url, { headers: { range: "bytes=100-199" } });
    assert.equal(part.status, 206);
    assert.equal(part.headers.get("content-range"), `bytes 100-199/${bytes.length}`);
    assert.deepEqual(Buffer.from(await part.arrayBuffer()), bytes.subarray(100, 200));
    const tail = await fetch(`${server.url}${path}`, { headers: { apikey: KEY, range: "bytes=-10" } });
    assert.deepEqual(Buffer.from(await tail.arrayBuffer()), bytes.subarray(-10));
    const past = await fetch(url, { headers: { range: `bytes=${bytes.length}-` } });
    assert.equal(past.status, 416);
    assert.equal(past.headers.get("content-range"), `bytes */${bytes.length}`);
    // the token is for call A only, and cannot be altered
    const token = new URL(url).searchParams.get("token")!;
    const callB = (await api("/calls?call_uuid=console-call-b")).calls[0].request_id;
    assert.equal((await fetch(`${server.url}/calls/${callB}/audio?token=${token}`)).status, 401);
    const forged = token.replace(/.$/, (c) => (c === "A" ? "B" : "A"));
    assert.equal((await fetch(`${server.url}${path}?token=${forged}`)).status, 401);
    assert.equal(
      (await fetch(`${server.url}/calls/${callA.request_id}?token=${token}`)).status,
      401,
      "audio only",
    );
  });

  it("filters calls and deliveries (GET /calls, GET /deliveries) by id, status, host, event and time", async () => {
    const ids = async (q: string) => (await api(`/calls?${q}`)).calls.map((c: Json) => c.call_uuid);
    assert.deepEqual(await ids(""), ["console-call-b", "console-call-a"]);
    assert.deepEqual(await ids(`request_id=${callA.request_id}`), ["console-call-a"]);
    assert.deepEqual(await ids("status=failed"), []);
    assert.deepEqual(await ids(`since=${callA.created_at}`), ["console-call-b", "console-call-a"]);
    assert.deepEqual(await ids(`until=${callA.created_at}`), []);
    const page1 = await api("/calls?limit=1");
    assert.deepEqual(await ids(`limit=1&cursor=${page1.next_cursor}`), ["console-call-a"]);
    assert.equal((await api("/calls?since=yesterday")).error_code, "invalid_field");

    const hosts = async (q: string) =>
      (await api(`/deliveries?${q}`)).deliveries.map((d: Json) => `${new URL(d.url).port}${d.event[0]}`);
    const [g, b] = [new URL(good.url).port, new URL(bad.url).port];
    // B's delivery was moved to the good receiver above
    assert.deepEqual((await hosts(`host=127.0.0.1:${g}`)).sort(), [`${g}s`, `${g}t`, `${g}t`]);
    assert.deepEqual(await hosts("event=summaryDelivered"), [`${g}s`]);
    assert.deepEqual(await hosts(`host=127.0.0.1:${b}`), [], "none left there");
    assert.deepEqual(await hosts(`since=${new Date(Date.now() + 60_000).toISOString()}`), []);
    assert.equal((await api("/deliveries?event=nope")).error_code, "invalid_field");
  });

  it("another tenant's key sees none of it", async () => {
    const rival = { headers: { apikey: RIVAL } };
    assert.deepEqual((await api("/calls", rival)).calls, []);
    assert.deepEqual((await api("/receivers", rival)).receivers, []);
    assert.deepEqual((await api("/deliveries", rival)).deliveries, []);
    assert.equal((await api(`/calls/${callA.request_id}`, rival)).error_code, "forbidden");
    const audio = await fetch(`${server.url}/calls/${callA.request_id}/audio`, rival);
    assert.equal(audio.status, 403);
  });

  it("ran without a script error in the page", () => {
    assert.deepEqual(pageErrors, []);
  });

  it("without API_KEYS, on loopback, the console needs no key", async () => {
    const open = await startTestServer();
    try {
      const p = await browser.newPage();
      await p.goto(`${open.url}/console`);
      await p.getByRole("heading", { name: "Calls" }).waitFor();
      assert.equal(await p.locator('input[name="apikey"]').count(), 0);
      await p.close();
    } finally {
      await open.cleanup();
    }
  });
});

describe("console: pure parts", () => {
  it("parseRange: one range, suffix, open end, clamped end; several or malformed: the whole file", () => {
    assert.deepEqual(parseRange("bytes=0-99", 1000), { start: 0, end: 99 });
    assert.deepEqual(parseRange("bytes=900-", 1000), { start: 900, end: 999 });
    assert.deepEqual(parseRange("bytes=-100", 1000), { start: 900, end: 999 });
    assert.deepEqual(parseRange("bytes=-5000", 1000), { start: 0, end: 999 });
    assert.deepEqual(parseRange("bytes=990-2000", 1000), { start: 990, end: 999 });
    assert.equal(parseRange("bytes=1000-", 1000), "unsatisfiable");
    assert.equal(parseRange("bytes=-0", 1000), "unsatisfiable");
    assert.equal(parseRange("bytes=0-", 0), "unsatisfiable");
    for (const h of [undefined, "", "bytes=5-1", "bytes=0-1,5-6", "items=0-1", "bytes=-", "bytes=a-b"])
      assert.equal(parseRange(h, 1000), null, String(h));
  });

  it("audio tokens: for one call and owner, until they expire, under these keys only", () => {
    const keys = [{ owner: "acme", key: "k1" }];
    const tokens = createAudioTokens(keys, 1000);
    const t = tokens.sign("job-1", "acme", 5000)!;
    assert.equal(tokens.verify("job-1", t, 5999), "acme");
    assert.equal(tokens.verify("job-1", t, 6000), undefined, "expired");
    assert.equal(tokens.verify("job-2", t, 5500), undefined, "another call");
    assert.equal(createAudioTokens([{ owner: "acme", key: "k2" }]).verify("job-1", t, 5500), undefined);
    const [exp, , mac] = t.split(".");
    const other = Buffer.from("other").toString("base64url");
    assert.equal(tokens.verify("job-1", `${exp}.${other}.${mac}`, 5500), undefined, "owner swapped");
    // the last character of a 43-character base64url MAC carries 2 spare bits: flipping one of
    // them decodes to the same bytes, and is still refused
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const spare = alphabet[alphabet.indexOf(mac!.at(-1)!) ^ 1]!;
    const respelled = `${mac!.slice(0, -1)}${spare}`;
    assert.deepEqual(Buffer.from(respelled, "base64url"), Buffer.from(mac!, "base64url"));
    assert.equal(
      tokens.verify("job-1", `${exp}.${t.split(".")[1]}.${respelled}`, 5500),
      undefined,
      "respelled",
    );
    assert.equal(createAudioTokens([]).sign("job-1", null), null, "no keys: no token needed");
  });
});

describe("GET /calls/:id/audio with shared blob storage", () => {
  it("the copy made on this machine goes after an idle time; a copy that was here stays", async () => {
    const tmp = tempDir();
    const shared = new Map<string, Buffer>();
    const blobs = createBlobStore(join(tmp.dir, "audio"), {
      put: async (name, file) => void shared.set(name, readFileSync(file)),
      fetch: async (name, dest) => {
        const b = shared.get(name);
        if (!b) throw new Error(`no blob ${name}`);
        writeFileSync(dest, b);
      },
      remove: async (name) => void shared.delete(name),
    });
    const jobs: Record<string, Partial<JobRow>> = {
      j1: { id: "j1", kind: "transcription", owner: null, audioName: "a1.wav" },
      j2: { id: "j2", kind: "transcription", owner: null, audioName: "a2.wav" },
    };
    const store = { getJob: async (id: string) => jobs[id] ?? null } as unknown as Store;
    shared.set("a1.wav", Buffer.from("RIFF-one"));
    writeFileSync(blobs.pathOf("a2.wav"), "RIFF-two"); // e.g. an upload this process received
    shared.set("a2.wav", Buffer.from("RIFF-two"));
    const app = Fastify();
    registerErrorHandling(app, 0);
    registerApiKeyAuth(app, [], []);
    registerCallsRoutes(app, { store, blobs, audioTokens: createAudioTokens([]), localCopyIdleMs: 150 });
    try {
      const one = await app.inject({ url: "/calls/j1/audio", headers: { range: "bytes=0-3" } });
      assert.equal(one.statusCode, 206);
      assert.equal(one.body, "RIFF");
      assert.ok(existsSync(blobs.pathOf("a1.wav")), "copied here to serve the ranges");
      assert.equal((await app.inject({ url: "/calls/j2/audio" })).body, "RIFF-two");
      await new Promise((r) => setTimeout(r, 100));
      await app.inject({ url: "/calls/j1/audio" }); // a later request keeps it
      await new Promise((r) => setTimeout(r, 100));
      assert.ok(existsSync(blobs.pathOf("a1.wav")));
      await poll(async () => !existsSync(blobs.pathOf("a1.wav")), 2000);
      assert.ok(shared.has("a1.wav"), "the shared copy stays");
      assert.ok(existsSync(blobs.pathOf("a2.wav")), "a copy that was already here is not the route's");
      jobs.j1!.audioName = null;
      assert.equal((await app.inject({ url: "/calls/j1/audio" })).statusCode, 404);
    } finally {
      await app.close();
      tmp.cleanup();
    }
  });
});

/**
 * Safe by default: the server binds loopback unless told otherwise, and refuses to expose an
 * unauthenticated API to the network. Checked on the config loader and on the real entry point
 * (`src/main.ts` as `npm start` runs it), which only ever binds; no traffic leaves loopback.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { ConfigError, loadConfig } from "../src/config.ts";

describe("network exposure", () => {
  it("binds 127.0.0.1 by default", () => {
    assert.equal(loadConfig({}).HOST, "127.0.0.1");
  });

  it("refuses a non-loopback HOST without API_KEYS, naming the ways out", () => {
    for (const HOST of ["0.0.0.0", "::", "192.0.2.10", "calls.example.com"]) {
      assert.throws(
        () => loadConfig({ HOST }),
        (e: unknown) =>
          e instanceof ConfigError &&
          e.message.includes(`HOST: ${HOST}`) &&
          /API_KEYS/.test(e.message) &&
          /ALLOW_UNAUTHENTICATED=true/.test(e.message),
        HOST,
      );
    }
  });

  it("allows loopback hosts, API keys, or an explicit ALLOW_UNAUTHENTICATED", () => {
    for (const HOST of ["127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost"]) {
      assert.equal(loadConfig({ HOST }).HOST, HOST);
    }
    assert.deepEqual(loadConfig({ HOST: "0.0.0.0", API_KEYS: "k1" }).API_KEYS, ["k1"]);
    assert.equal(loadConfig({ HOST: "0.0.0.0", ALLOW_UNAUTHENTICATED: "true" }).ALLOW_UNAUTHENTICATED, true);
    assert.throws(() => loadConfig({ ALLOW_UNAUTHENTICATED: "yes please" }), /ALLOW_UNAUTHENTICATED/);
  });
});

/** Runs `src/main.ts` until `until` matches its output (or it exits); returns what it printed. */
async function runMain(env: Record<string, string | undefined>, until: RegExp) {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "callscribe-main-"));
  const merged: Record<string, string | undefined> = {
    ...process.env,
    PORT: "0",
    DATA_DIR: dataDir,
    LOG_LEVEL: "info",
    ...env,
  };
  for (const [k, v] of Object.entries(merged)) if (v === undefined) delete merged[k];
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
    env: merged,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  const onData = (b: Buffer) => {
    out += b.toString("utf8");
    if (until.test(out)) child.kill("SIGTERM");
  };
  child.stdout.on("data", onData);
  child.stderr.on("data", onData);
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  rmSync(dataDir, { recursive: true, force: true });
  return { code, out };
}

describe("npm start", () => {
  it("exits with a clear message when HOST is public and there are no API keys", async () => {
    const { code, out } = await runMain({ HOST: "0.0.0.0", API_KEYS: "" }, /$^/);
    assert.equal(code, 2);
    assert.match(out, /HOST: 0\.0\.0\.0 would expose transcripts to the network without authentication/);
    assert.ok(!/listening/i.test(out), "nothing was served");
  });

  it("listens on 127.0.0.1 when HOST is not set", async () => {
    const { out } = await runMain({ HOST: undefined, API_KEYS: "" }, /Server listening at/);
    assert.match(out, /Server listening at http:\/\/127\.0\.0\.1:\d+/);
    assert.ok(!/0\.0\.0\.0/.test(out));
  });

  it("serves a public HOST without keys only with ALLOW_UNAUTHENTICATED=true, and warns", async () => {
    const { out } = await runMain(
      { HOST: "0.0.0.0", API_KEYS: "", ALLOW_UNAUTHENTICATED: "true" },
      /Server listening at/,
    );
    const warning = out
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as { level: number; msg: string })
      .find((l) => /ALLOW_UNAUTHENTICATED/.test(l.msg));
    assert.equal(warning?.level, 40, "logged at warn");
  });
});

describe("licence", () => {
  it("ships an MIT LICENSE and says so in package.json", () => {
    assert.ok(existsSync("LICENSE"));
    assert.match(readFileSync("LICENSE", "utf8"), /^MIT License/);
    assert.equal((JSON.parse(readFileSync("package.json", "utf8")) as { license?: string }).license, "MIT");
  });
});

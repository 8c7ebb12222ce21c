import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkLanguage, fromFormFields, parseTranscribeFields } from "../src/api/call/transcribe-schema.ts";
import { ConfigError, loadConfig, redactConfig } from "../src/config.ts";
import { AppError } from "../src/core/errors.ts";

describe("config", () => {
  it("has working defaults and parses lists", () => {
    const c = loadConfig({ NETWORK_ALLOWLIST: "127.0.0.0/8, ::1/128", API_KEYS: "a,b" });
    assert.equal(c.PORT, 8080);
    assert.equal(c.DELIVERY_RETRY_BASE_MS, 5000);
    assert.equal(c.DELIVERY_RETRY_FACTOR, 4);
    assert.equal(c.DELIVERY_MAX_ATTEMPTS, 3);
    assert.equal(c.DELIVERY_TIMEOUT_MS, 30_000);
    assert.deepEqual(c.NETWORK_ALLOWLIST, ["127.0.0.0/8", "::1/128"]);
    assert.ok(c.dataDir.endsWith("/data"));
  });
  it("names the bad variable", () => {
    assert.throws(
      () => loadConfig({ PORT: "eighty" }),
      (e: unknown) => e instanceof ConfigError && /PORT/.test(e.message),
    );
    assert.throws(() => loadConfig({ ASR_URL: "nope" }), /ASR_URL/);
    // its notification channel, callscribe_<schema>, must fit Postgres' 63-byte identifiers
    assert.equal(loadConfig({ DATABASE_SCHEMA: "s".repeat(52) }).DATABASE_SCHEMA, "s".repeat(52));
    assert.throws(() => loadConfig({ DATABASE_SCHEMA: "s".repeat(53) }), /DATABASE_SCHEMA.*52/);
    assert.throws(() => loadConfig({ DATABASE_SCHEMA: "Drop Table" }), /DATABASE_SCHEMA/);
  });
  it("redacts secrets", () => {
    const text = JSON.stringify(redactConfig(loadConfig({ API_KEYS: "topsecret", ASR_API_KEY: "sk-123" })));
    assert.ok(!text.includes("topsecret") && !text.includes("sk-123"));
  });
});

describe("transcribe request fields", () => {
  it("normalises a full JSON request", () => {
    const f = parseTranscribeFields({
      uri: "https://audio.example/call.mp3",
      call_uuid: 1234,
      callback_url: "https://hooks.example/cb?x=1",
      speaker_aliases: ["Rep", "Caller"],
      webhook_auth_header_name: "X-Key",
      webhook_auth_header_value: "v",
    });
    assert.deepEqual(f, {
      uri: "https://audio.example/call.mp3",
      callUuid: "1234",
      callbackUrl: "https://hooks.example/cb?x=1",
      lang: "en",
      speakerAliases: ["Rep", "Caller"],
      authHeader: { name: "X-Key", value: "v" },
      callbackPolicy: undefined,
      summarize: false,
      retentionHours: undefined,
      wordTimestamps: false,
      format: undefined,
      vocabulary: undefined,
      redactPii: undefined,
      speakers: undefined,
    });
  });
  it("rejects what a receiver could be harmed by", () => {
    const bad = (extra: object) => () => parseTranscribeFields({ call_uuid: "a", ...extra });
    const isField = (field: string) => (e: unknown) => e instanceof AppError && e.field === field;
    assert.throws(
      bad({ callback_auth_header_name: "Host", callback_auth_header_value: "x" }),
      isField("callback_auth_header_name"),
    );
    assert.throws(
      bad({ callback_auth_header_name: "X-A", callback_auth_header_value: "a\r\nb" }),
      isField("callback_auth_header_value"),
    );
    assert.throws(bad({ callback_url: "javascript:alert(1)" }), isField("callback_url"));
    assert.throws(bad({ lang: "english please" }), isField("lang"));
    assert.throws(() => parseTranscribeFields([1, 2]), /JSON object/);
    assert.throws(bad({ callback_policy: "forever" }), isField("callback_policy"));
    assert.throws(bad({ summarize: true }), isField("callback_url"));
  });
  it("reads multipart string fields: speaker_aliases as JSON, summarize as true/false", () => {
    const form = (f: Record<string, string>) => () =>
      parseTranscribeFields(fromFormFields({ call_uuid: "x", ...f }));
    assert.deepEqual(form({ speaker_aliases: '["A","B"]' })().speakerAliases, ["A", "B"]);
    const format = (e: unknown) =>
      e instanceof AppError &&
      e.code === "invalid_field" &&
      e.message === 'speaker_aliases must be a JSON array of non-empty strings, e.g. ["Agent","User"]';
    for (const bad of ["A, B", "Agent", '"Agent"', '["A",""]', "[1,2]", '{"a":1}']) {
      assert.throws(form({ speaker_aliases: bad }), format, bad);
    }
    assert.throws(() => parseTranscribeFields({ call_uuid: "x", speaker_aliases: ["A", 3] }), format);
    const cb = { callback_url: "https://hooks.example/cb" };
    assert.equal(form({ ...cb, summarize: "true" })().summarize, true);
    assert.equal(form({ summarize: "false" })().summarize, false);
    assert.equal(parseTranscribeFields({ call_uuid: "x", ...cb, summarize: true }).summarize, true);
    for (const bad of ["yes", "1", "on", "TRUE "]) {
      assert.throws(
        form({ summarize: bad }),
        (e: unknown) => e instanceof AppError && e.field === "summarize",
        bad,
      );
    }
    assert.throws(
      () => parseTranscribeFields({ call_uuid: "x", summarize: 1 }),
      /summarize must be true or false/,
    );
  });

  it("refuses unknown fields, suggesting near misses; accepts AssemblyAI's names", () => {
    const unknown = (input: object, pattern: RegExp) =>
      assert.throws(
        () => parseTranscribeFields({ call_uuid: "x", ...input }),
        (e: unknown) => e instanceof AppError && e.code === "unknown_field" && pattern.test(e.message),
      );
    unknown({ callbak_url: "https://h.example/" }, /"callbak_url" \(did you mean callback_url\?\)/);
    unknown({ Speaker_Aliases: ["a"] }, /did you mean speaker_aliases\?/);
    unknown({ colour: "red" }, /^unknown field "colour"; accepted: /);
    const f = parseTranscribeFields({
      call_uuid: "x",
      audio_url: "https://audio.example/a.wav",
      webhook_url: "https://hooks.example/cb",
      language_code: "en-GB",
    });
    assert.deepEqual(
      [f.uri, f.callbackUrl, f.lang],
      ["https://audio.example/a.wav", "https://hooks.example/cb", "en-GB"],
    );
    assert.throws(
      () =>
        parseTranscribeFields({
          call_uuid: "x",
          callback_url: "https://a.example/",
          webhook_url: "https://b.example/",
        }),
      (e: unknown) => e instanceof AppError && e.code === "conflicting_fields" && e.field === "webhook_url",
    );
  });

  it("refuses languages the recognizer cannot do, unless it takes any", () => {
    assert.doesNotThrow(() => checkLanguage("en-US", ["en"], "pocketsphinx"));
    assert.doesNotThrow(() => checkLanguage("fr", null, "openai"));
    assert.throws(
      () => checkLanguage("fr", ["en"], "pocketsphinx"),
      (e: unknown) =>
        e instanceof AppError && e.code === "unsupported_language" && /supported: en\b/.test(e.message),
    );
  });
});

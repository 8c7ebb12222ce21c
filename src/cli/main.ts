/**
 * `callscribe`, the command-line client (the package's `bin`, started by bin/callscribe.js):
 * transcribe a file, manage jobs and deliveries, and forward webhook events to a local URL.
 * Commands and flags are parsed by commander; each command is a function of its own module.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import pkg from "../../package.json" with { type: "json" };
import { CliError, connection, createClient, DEFAULT_URL, EXIT } from "./client.ts";
import { listDeliveries, recover, redeliver, showDelivery } from "./deliveries.ts";
import { listJobs, removeJob, showJob } from "./jobs.ts";
import { listen, type ListenOptions } from "./listen.ts";
import { transcribe, type TranscribeOptions } from "./transcribe.ts";

type Globals = { url?: string; apiKey?: string };

const positiveInt = (name: string) => (v: string) => {
  if (!/^\d+$/.test(v) || Number(v) < 1) throw new InvalidArgumentError(`${name} must be a positive integer`);
  return Number(v);
};

const EXIT_CODES = `
Environment:
  CALLSCRIBE_URL      server URL (default ${DEFAULT_URL})
  CALLSCRIBE_API_KEY  API key (sent as the apikey header and as Authorization: Bearer)

Exit codes:
  0  done
  1  the server refused the request, or the job failed
  2  bad flags or arguments, or a file that cannot be read
  3  the server cannot be reached
  4  the API key is missing or wrong (401), or the job is another tenant's (403)
  5  no such job or delivery (404)`;

/** The client for a command: `--url`/`--api-key` (given before or after the command) or the environment. */
const clientOf = (cmd: Command) => createClient(connection(cmd.optsWithGlobals<Globals>()));
type Opts = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export function buildProgram(): Command {
  const program = new Command("callscribe")
    .description("Command-line client for a callscribe server")
    .version(pkg.version)
    .option("--url <url>", `server URL (env CALLSCRIBE_URL, default ${DEFAULT_URL})`)
    .option("--api-key <key>", "API key (env CALLSCRIBE_API_KEY)")
    .showHelpAfterError("(run with --help for usage)")
    .configureHelp({ showGlobalOptions: true })
    .addHelpText("after", EXIT_CODES)
    // thrown to `main`, which makes usage errors exit 2 (commanders' own default is 1); the
    // subcommands made below inherit this
    .exitOverride();

  program
    .command("transcribe")
    .description("upload a recording to the Jobs API; with --wait, follow it and print the transcript")
    .argument("<file>", "audio file (anything ffmpeg decodes)")
    .option("-w, --wait", "wait for the transcript (a progress bar on a terminal)")
    .option("--json", "print the server's JSON")
    .option("--progress", "print progress on stderr even when it is not a terminal")
    .option("-l, --language <code>", "language code (default en)")
    .addOption(new Option("--format <format>", "transcript text").choices(["formatted", "plain"]))
    .option("--vocabulary <terms>", "terms to listen for, comma-separated (Acme,Northwind)")
    .option(
      "--speakers <n>",
      "speakers expected on a one-channel call (1: no diarization)",
      positiveInt("--speakers"),
    )
    .option(
      "--min-speakers <n>",
      "at least this many speakers on a one-channel call",
      positiveInt("--min-speakers"),
    )
    .option(
      "--max-speakers <n>",
      "at most this many speakers on a one-channel call",
      positiveInt("--max-speakers"),
    )
    .option(
      "--redact-pii",
      "replace card, phone, email, SSN, date of birth, account and name mentions by labels",
    )
    .option("--redact-pii-policies <list>", "only these, comma-separated (credit_card,email_address,…)")
    .option("--redact-pii-audio", "also beep them out of the stored audio (implies --redact-pii)")
    .option("--metadata <json>", 'a JSON object kept with the job, e.g. {"call_uuid":"call-123"}')
    .option("--poll-interval <ms>", "how often --wait asks", positiveInt("--poll-interval"), 1000)
    .option(
      "--timeout <s>",
      "stop waiting after this many seconds (default: never)",
      positiveInt("--timeout"),
      0,
    )
    .action(async (file: string, o: Opts, cmd: Command) => {
      process.exitCode = await transcribe(clientOf(cmd), file, o as TranscribeOptions);
    });

  const jobs = program.command("jobs").description("list, show and delete jobs (/v1/transcriptions)");
  jobs
    .command("ls")
    .description("jobs, newest first")
    .option("-n, --limit <n>", "how many (1 to 100, default 10)")
    .option("--status <status>", "queued, processing, succeeded or failed")
    .option("--type <type>", "transcription, summary or tags")
    .option("--cursor <cursor>", "the next page (printed after a full page)")
    .option("--json", "print the server's JSON")
    .action(async (o: Opts, cmd: Command) => {
      process.exitCode = await listJobs(clientOf(cmd), o);
    });
  jobs
    .command("show")
    .description("one job, with its transcript, summary or tags once done")
    .argument("<job_id>")
    .option("--json", "print the server's JSON")
    .action(async (id: string, o: Opts, cmd: Command) => {
      process.exitCode = await showJob(clientOf(cmd), id, o);
    });
  jobs
    .command("rm")
    .description("delete a finished job's audio and results")
    .argument("<job_id>")
    .action(async (id: string, _o: Opts, cmd: Command) => {
      process.exitCode = await removeJob(clientOf(cmd), id);
    });

  const deliveries = program.command("deliveries").description("webhook deliveries: inspect and send again");
  deliveries
    .command("ls")
    .description("deliveries with their attempts, newest first")
    .addOption(
      new Option("--state <state>", "filter by state").choices([
        "pending",
        "delivering",
        "delivered",
        "abandoned",
      ]),
    )
    .option("--host <host>", "only this receiver host")
    .addOption(
      new Option("--event <event>", "only this event").choices(["transcriptDelivered", "summaryDelivered"]),
    )
    .option("-n, --limit <n>", "how many (1 to 1000, default 100)")
    .option("--json", "print the server's JSON")
    .action(async (o: Opts, cmd: Command) => {
      process.exitCode = await listDeliveries(clientOf(cmd), o);
    });
  deliveries
    .command("show")
    .description("one delivery and every attempt")
    .argument("<delivery_id>")
    .option("--json", "print the server's JSON")
    .action(async (id: string, o: Opts, cmd: Command) => {
      process.exitCode = await showDelivery(clientOf(cmd), id, o);
    });
  deliveries
    .command("redeliver")
    .description("send a delivery again (a new attempt series, same body and webhook-id)")
    .argument("<delivery_id>")
    .option(
      "--to <url>",
      "send it to this URL instead (the auth header stays behind unless --keep-auth-header)",
    )
    .option("--keep-auth-header", "send the callback auth header to the new URL too")
    .option("--now", "one attempt right away, past an open circuit or a busy host")
    .option("--json", "print the server's JSON")
    .action(async (id: string, o: Opts, cmd: Command) => {
      process.exitCode = await redeliver(clientOf(cmd), id, o);
    });
  deliveries
    .command("recover")
    .description("send again every delivery created in a time window (try --dry-run first)")
    .requiredOption("--since <time>", "ISO 8601 time, e.g. 2026-11-26T09:00:00Z")
    .option("--until <time>", "ISO 8601 time (default now)")
    .addOption(
      new Option("--state <state>", "which deliveries (default abandoned)").choices([
        "abandoned",
        "delivered",
      ]),
    )
    .option("--host <host>", "only this receiver host")
    .option("--url-prefix <prefix>", "only URLs starting with this")
    .option("-n, --limit <n>", "at most this many (default 1000)")
    .option("--dry-run", "only count and list them")
    .option("--json", "print the server's JSON")
    .action(async (o: Opts, cmd: Command) => {
      process.exitCode = await recover(clientOf(cmd), o as Parameters<typeof recover>[1]);
    });

  program
    .command("listen")
    .description(
      "follow the events feed and POST every webhook body to a local URL, with a delivery's headers",
    )
    .requiredOption("--forward-to <url>", "where to POST, e.g. http://localhost:3000/hooks")
    .option(
      "--cursor-file <path>",
      "where the position is kept (default ~/.callscribe/listen-cursor-<server>)",
    )
    .option("--since <time>", "with no saved cursor, start at this ISO 8601 time (default now)")
    .option(
      "--signing-secret <whsec>",
      "sign as the server does (its WEBHOOK_SIGNING_SECRET; env CALLSCRIBE_SIGNING_SECRET)",
    )
    .option(
      "-H, --header <header>",
      '"Name: value" to add (repeatable)',
      (v, prev: string[]) => [...prev, v],
      [],
    )
    .option("--interval <ms>", "how often to look for new events", positiveInt("--interval"), 1000)
    .option("--once", "forward what is there, then exit")
    .option("--json", "one JSON line per forwarded event")
    .action(async (o: Opts, cmd: Command) => {
      const signingSecret = o.signingSecret ?? (process.env.CALLSCRIBE_SIGNING_SECRET || undefined);
      process.exitCode = await listen(clientOf(cmd), { ...(o as ListenOptions), signingSecret });
    });

  return program;
}

export async function main(argv = process.argv): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // help and version are not errors; commander has printed the message already
      process.exitCode = err.exitCode === 0 ? EXIT.ok : EXIT.usage;
      return;
    }
    if (err instanceof CliError) {
      process.stderr.write(`callscribe: ${err.message}\n`);
      process.exitCode = err.exitCode;
      return;
    }
    process.stderr.write(`callscribe: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exitCode = EXIT.failed;
  }
}

/** Starts the real server in-process on a loopback port with a fresh data directory. */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pino from "pino";
import { loadConfig } from "../../src/config.ts";
import { startServer, type ServerOptions } from "../../src/server.ts";

export type TestServer = Awaited<ReturnType<typeof startServer>> & {
  url: string;
  dataDir: string;
  cleanup(): Promise<void>;
};

export const FAST_DELIVERY_ENV = {
  DELIVERY_RETRY_BASE_MS: "200",
  DELIVERY_RETRY_FACTOR: "2",
  DELIVERY_TIMEOUT_MS: "1500",
};

export async function startTestServer(
  env: Record<string, string> = {},
  opts: ServerOptions & { dataDir?: string } = {},
): Promise<TestServer> {
  const dataDir = opts.dataDir ?? mkdtempSync(path.join(os.tmpdir(), "callscribe-data-"));
  const config = loadConfig({
    PORT: "0",
    HOST: "127.0.0.1",
    DATA_DIR: dataDir,
    NETWORK_ALLOWLIST: "127.0.0.0/8",
    LOG_LEVEL: "silent",
    ...FAST_DELIVERY_ENV,
    ...env,
  });
  const server = await startServer(config, { logger: pino({ level: env.LOG_LEVEL ?? "silent" }), ...opts });
  return {
    ...server,
    url: `http://127.0.0.1:${server.port}`,
    dataDir,
    async cleanup() {
      await server.stop();
      if (!opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export { poll } from "./poll.ts";

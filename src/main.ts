/** Entry point: `npm start`. */
import { ConfigError, loadConfig, redactConfig } from "./config.ts";
import { startServer } from "./server.ts";

async function main() {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
  const server = await startServer(config);
  server.logger.info({ config: redactConfig(config), port: server.port }, "callscribe listening");
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    process.once(sig, () => {
      server.logger.info({ signal: sig }, "shutting down");
      server.stop().then(
        () => process.exit(0),
        (err: unknown) => {
          server.logger.error({ err }, "shutdown failed");
          process.exit(1);
        },
      );
    });
  }
}

void main();

/** Entry point: `npm start [-- --role api|worker|all]`. */
import { parseArgs } from "node:util";
import { ConfigError, loadConfig, redactConfig } from "./config.ts";
import { limitMallocArenas } from "./malloc-arenas.ts";
import { startServer, type Role } from "./server.ts";

limitMallocArenas();

const roles: readonly Role[] = ["api", "worker", "all"];

function parseRole(argv: string[]): Role {
  const { values } = parseArgs({ args: argv, options: { role: { type: "string", default: "all" } } });
  const role = values.role as Role;
  if (!roles.includes(role))
    throw new ConfigError(`--role must be one of ${roles.join(", ")}, not ${values.role}`);
  return role;
}

async function main() {
  let server;
  try {
    const role = parseRole(process.argv.slice(2));
    const config = loadConfig();
    server = await startServer(config, { role });
    server.logger.info({ config: redactConfig(config), port: server.port }, "callscribe listening");
  } catch (err) {
    if (err instanceof ConfigError || (err as { code?: string })?.code?.startsWith("ERR_PARSE_ARGS")) {
      console.error((err as Error).message);
      process.exit(2);
    }
    throw err;
  }
  const running = server;
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    process.once(sig, () => {
      running.logger.info({ signal: sig }, "shutting down");
      running.stop().then(
        () => process.exit(0),
        (err: unknown) => {
          running.logger.error({ err }, "shutdown failed");
          process.exit(1);
        },
      );
    });
  }
}

void main();

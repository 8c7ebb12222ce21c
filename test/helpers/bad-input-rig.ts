/**
 * What bad-input tests need: the real server with a small upload limit, a webhook receiver, a
 * short WAV, and a loopback file server for `uri` (`/notes.txt` is text, anything else is 404).
 */
import { readFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { sayPcm, tempDir, writeWav } from "./audio.ts";
import { startReceiver, type Receiver } from "./receiver.ts";
import { startTestServer, type TestServer } from "./server.ts";

export interface BadInputRig {
  server: TestServer;
  rx: Receiver;
  filesUrl: string;
  wav: Buffer;
  close(): Promise<void>;
}

export async function startBadInputRig(
  opts: Parameters<typeof startTestServer>[1] = {},
): Promise<BadInputRig> {
  const tmp = tempDir();
  const wav = readFileSync(writeWav(join(tmp.dir, "hi.wav"), sayPcm("Hello there.")));
  const files = http.createServer((req, res) => {
    if (req.url === "/notes.txt") res.writeHead(200).end("plain text, not audio\n".repeat(100));
    else res.writeHead(404, "Not Found").end();
  });
  await new Promise<void>((r) => files.listen(0, "127.0.0.1", r));
  const rx = await startReceiver([200]);
  const server = await startTestServer({ MAX_UPLOAD_MB: "0.25" }, opts);
  return {
    server,
    rx,
    wav,
    filesUrl: `http://127.0.0.1:${(files.address() as AddressInfo).port}`,
    async close() {
      await server.cleanup();
      await rx.close();
      files.close();
      tmp.cleanup();
    },
  };
}

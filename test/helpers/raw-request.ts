/**
 * Sends raw bytes over one loopback connection and returns the status and JSON body of the answer:
 * for requests `fetch` will not send (truncated or malformed bodies).
 */
import net from "node:net";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export async function rawRequest(port: number, head: string, body: string) {
  return new Promise<{ status: number; body: Json }>((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1", () => {
      socket.write(`${head}Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    });
    let out = "";
    socket.on("data", (b) => (out += b.toString("utf8")));
    socket.on("error", reject);
    socket.on("close", () => {
      const [status, rest] = [Number(out.split(" ")[1]), out.slice(out.indexOf("\r\n\r\n") + 4)];
      resolve({ status, body: JSON.parse(rest) as Json });
    });
  });
}

/** A multipart upload to /transcribe whose file part never ends (the client gave up mid-file). */
export const truncatedUpload = (port: number) => {
  const part = (name: string, extra = "") =>
    `--XX\r\nContent-Disposition: form-data; name="${name}"${extra}\r\n\r\n`;
  return rawRequest(
    port,
    "POST /transcribe HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=XX\r\n",
    `${part("call_uuid")}abc\r\n${part("file", '; filename="a.wav"')}RIFF....`,
  );
};

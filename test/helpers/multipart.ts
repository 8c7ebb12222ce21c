/** Reads a multipart/form-data request with the WHATWG parser (undici), not trusting the client. */
import type { IncomingMessage } from "node:http";

export interface ParsedForm {
  fields: Record<string, string>;
  file: { name: string; bytes: Buffer } | null;
}

export async function readMultipart(req: IncomingMessage): Promise<ParsedForm> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const form = await new Response(Buffer.concat(chunks), {
    headers: { "content-type": String(req.headers["content-type"]) },
  }).formData();
  const out: ParsedForm = { fields: {}, file: null };
  for (const [k, v] of form.entries()) {
    if (typeof v === "string") out.fields[k] = v;
    else out.file = { name: v.name, bytes: Buffer.from(await v.arrayBuffer()) };
  }
  return out;
}

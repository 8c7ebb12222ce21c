/**
 * Reads a multipart `POST /transcribe`: the `file` part is streamed straight to the blob store
 * (never buffered whole), the other parts are collected as string fields.
 */
import { createWriteStream } from "node:fs";
import { pipeline } from "node:stream/promises";
import type { FastifyRequest } from "fastify";
import { AppError } from "../../core/errors.ts";
import { safeExtension, type BlobStore } from "../../store/blobs.ts";

export interface Upload {
  fields: Record<string, string>;
  file: { name: string; filename: string | null; bytes: number } | null;
}

export async function receiveMultipart(req: FastifyRequest, blobs: BlobStore): Promise<Upload> {
  const upload: Upload = { fields: {}, file: null };
  try {
    for await (const part of req.parts()) {
      if (part.type === "field") {
        upload.fields[part.fieldname] = String(part.value);
        continue;
      }
      if (part.fieldname !== "file") {
        throw new AppError(
          "unknown_field",
          `unexpected file part "${part.fieldname}"; send the audio as "file"`,
          {
            field: part.fieldname,
          },
        );
      }
      if (upload.file)
        throw new AppError("invalid_multipart", "send exactly one file part", { field: "file" });
      const name = blobs.newName(safeExtension(part.filename));
      upload.file = { name, filename: part.filename || null, bytes: 0 };
      // With the whole body already buffered (the request waited on an async hook: a database
      // round trip), the parser may have ended this part before we got it, and piping a
      // destroyed stream waits forever
      if (part.file.destroyed) throw part.file.errored ?? new Error("Unexpected end of form");
      const out = createWriteStream(blobs.pathOf(name));
      part.file.on("data", (b: Buffer) => (upload.file!.bytes += b.length));
      await pipeline(part.file, out);
    }
    return upload;
  } catch (err) {
    if (upload.file) await blobs.remove(upload.file.name);
    throw asMultipartError(err);
  }
}

/**
 * The parser's own errors (no boundary, a truncated body, a malformed part header) are the
 * client's fault: 400. Errors with a `syscall` come from the disk and stay server errors; our own
 * and Fastify's coded errors (size limits) keep their meaning.
 */
export function asMultipartError(err: unknown): unknown {
  if (err instanceof AppError) return err;
  const e = err as { code?: unknown; syscall?: unknown; message?: unknown };
  if (typeof e?.syscall === "string" || (typeof e?.code === "string" && e.code.startsWith("FST_")))
    return err;
  const why = typeof e?.message === "string" ? e.message : String(err);
  return new AppError("invalid_multipart", `malformed multipart/form-data body: ${why}`, { cause: err });
}

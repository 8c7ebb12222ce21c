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
          "bad_request",
          `unexpected file part "${part.fieldname}"; send the audio as "file"`,
          {
            field: part.fieldname,
          },
        );
      }
      if (upload.file) throw new AppError("bad_request", "send exactly one file part", { field: "file" });
      const name = blobs.newName(safeExtension(part.filename));
      upload.file = { name, filename: part.filename || null, bytes: 0 };
      const out = createWriteStream(blobs.pathOf(name));
      part.file.on("data", (b: Buffer) => (upload.file!.bytes += b.length));
      await pipeline(part.file, out);
    }
    return upload;
  } catch (err) {
    if (upload.file) await blobs.remove(upload.file.name);
    throw err;
  }
}

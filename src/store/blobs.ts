/**
 * Audio blobs. Work always happens on a local file under DATA_DIR/audio (ffmpeg reads files); a
 * shared blob store (Postgres, chunked) makes an upload received by an api process on one machine
 * readable by a worker on another. Names are generated here (UUID + extension), never taken from
 * the caller, so a name can't escape the directory.
 */
import { randomUUID } from "node:crypto";
import { createReadStream, createWriteStream, existsSync, mkdirSync } from "node:fs";
import { rename, rm } from "node:fs/promises";
import path from "node:path";

/** Where blobs live beyond this machine: chunks in, chunks out. */
export interface SharedBlobs {
  put(name: string, chunks: AsyncIterable<Buffer>): Promise<void>;
  /** the chunks in order; none when the blob is unknown */
  get(name: string): AsyncIterable<Buffer>;
  remove(name: string): Promise<void>;
}

export interface BlobStore {
  readonly dir: string;
  newName(ext: string): string;
  /** the local file of a blob (it may not exist yet on this machine) */
  pathOf(name: string): string;
  /** makes a blob written to `pathOf(name)` readable by workers on other machines */
  share(name: string): Promise<void>;
  /** the local file of a blob, copied from shared storage first if this machine lacks it */
  local(name: string): Promise<string>;
  /** drops this machine's copy only (shared storage keeps it) */
  evictLocal(name: string): Promise<void>;
  /** deletes the blob everywhere */
  remove(name: string): Promise<void>;
}

export function safeExtension(filename: string | undefined): string {
  const ext = path.extname(filename ?? "").toLowerCase();
  return /^\.[a-z0-9]{1,8}$/.test(ext) ? ext : ".bin";
}

const CHUNK = 1 << 20;

/**
 * `evictShared`: drop the local copy once a blob is in shared storage (an api process keeps
 * nothing on its disk; workers fetch what they need).
 */
export function createBlobStore(
  dir: string,
  shared?: SharedBlobs,
  opts: { evictShared?: boolean } = {},
): BlobStore {
  mkdirSync(dir, { recursive: true });
  const pathOf = (name: string) => {
    if (name !== path.basename(name)) throw new Error(`invalid blob name ${name}`);
    return path.join(dir, name);
  };
  return {
    dir,
    newName: (ext) => `${randomUUID()}${ext}`,
    pathOf,
    async share(name) {
      if (!shared) return;
      await shared.put(name, createReadStream(pathOf(name), { highWaterMark: CHUNK }));
      if (opts.evictShared) await rm(pathOf(name), { force: true });
    },
    async local(name) {
      const file = pathOf(name);
      if (existsSync(file) || !shared) return file;
      // write beside, then rename: a reader never sees half a file
      const part = `${file}.part-${randomUUID()}`;
      const out = createWriteStream(part);
      try {
        for await (const chunk of shared.get(name)) {
          if (!out.write(chunk)) await new Promise<void>((r) => out.once("drain", () => r()));
        }
        await new Promise<void>((resolve, reject) =>
          out.end((err?: Error | null) => (err ? reject(err) : resolve())),
        );
        await rename(part, file);
      } catch (err) {
        out.destroy();
        await rm(part, { force: true });
        throw err;
      }
      return file;
    },
    async evictLocal(name) {
      if (shared) await rm(pathOf(name), { force: true });
    },
    async remove(name) {
      await rm(pathOf(name), { force: true });
      await shared?.remove(name);
    },
  };
}

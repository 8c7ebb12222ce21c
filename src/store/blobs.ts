/**
 * Audio blobs. Work always happens on a local file under DATA_DIR/audio (ffmpeg reads files); a
 * shared blob store (Postgres, chunked) makes an upload received by an api process on one machine
 * readable by a worker on another. Names are generated here (UUID + extension), never taken from
 * the caller, so a name can't escape the directory.
 */
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync } from "node:fs";
import { rename, rm } from "node:fs/promises";
import path from "node:path";

/** Where blobs live beyond this machine (Postgres, an S3-compatible bucket). */
export interface SharedBlobs {
  /** stores the file's bytes under `name` */
  put(name: string, file: string): Promise<void>;
  /** writes the blob's bytes to `dest`; rejects when the blob is unknown */
  fetch(name: string, dest: string): Promise<void>;
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
      await shared.put(name, pathOf(name));
      if (opts.evictShared) await rm(pathOf(name), { force: true });
    },
    async local(name) {
      const file = pathOf(name);
      if (existsSync(file) || !shared) return file;
      // write beside, then rename: a reader never sees half a file
      const part = `${file}.part-${randomUUID()}`;
      try {
        await shared.fetch(name, part);
        await rename(part, file);
      } catch (err) {
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

/**
 * Audio blobs as plain files under DATA_DIR/audio. Names are generated here (UUID + extension),
 * never taken from the caller, so a name can't escape the directory.
 */
import { randomUUID } from "node:crypto";
import { mkdirSync } from "node:fs";
import { rm } from "node:fs/promises";
import path from "node:path";

export interface BlobStore {
  readonly dir: string;
  newName(ext: string): string;
  pathOf(name: string): string;
  remove(name: string): Promise<void>;
}

export function safeExtension(filename: string | undefined): string {
  const ext = path.extname(filename ?? "").toLowerCase();
  return /^\.[a-z0-9]{1,8}$/.test(ext) ? ext : ".bin";
}

export function createBlobStore(dir: string): BlobStore {
  mkdirSync(dir, { recursive: true });
  return {
    dir,
    newName: (ext) => `${randomUUID()}${ext}`,
    pathOf(name) {
      if (name !== path.basename(name)) throw new Error(`invalid blob name ${name}`);
      return path.join(dir, name);
    },
    async remove(name) {
      await rm(this.pathOf(name), { force: true });
    },
  };
}

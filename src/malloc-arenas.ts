/**
 * glibc gives every thread that allocates its own malloc arena (up to 8 per core), and each arena
 * keeps what was freed in it. The decoders' native threads, ONNX and libuv's pool then hold
 * ~45 MB more than the server uses during a long call. Two arenas, as MALLOC_ARENA_MAX=2 would do,
 * set before any thread starts; an operator's own MALLOC_ARENA_MAX wins (glibc read it at start).
 * After a burst of native work, `trimMalloc` returns what it freed.
 */
import koffi from "koffi";

const M_ARENA_MAX = -8;

type Libc = { mallopt(param: number, value: number): number; malloc_trim(pad: number): number };
let libc: Libc | null | undefined;

function glibc(): Libc | null {
  if (libc !== undefined) return libc;
  try {
    const c = koffi.load("libc.so.6");
    libc = {
      mallopt: c.func("int mallopt(int param, int value)") as Libc["mallopt"],
      malloc_trim: c.func("int malloc_trim(size_t pad)") as Libc["malloc_trim"],
    };
  } catch {
    libc = null; // not glibc (musl has no arenas to limit)
  }
  return libc;
}

export function limitMallocArenas(max = 2): void {
  if (process.env.MALLOC_ARENA_MAX || process.platform !== "linux") return;
  glibc()?.mallopt(M_ARENA_MAX, max);
}

/** Hands memory freed by a finished burst of native work (a scanned call) back to the system. */
export function trimMalloc(): void {
  if (process.platform === "linux") glibc()?.malloc_trim(0);
}

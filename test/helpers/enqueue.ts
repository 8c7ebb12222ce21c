/**
 * Enqueues webhook deliveries the way a finished job does (job row + delivery in one
 * transaction), without running audio through the pipeline: for delivery-engine tests and benches.
 */
import { timeOrderedId } from "../../src/core/time-ordered-id.ts";
import type { Store } from "../../src/store/types.ts";

export async function enqueueDelivery(
  store: Store,
  url: string,
  opts: { policy?: string; body?: object; now?: number; authHeader?: { name: string; value: string } } = {},
): Promise<{ jobId: string; deliveryId: string }> {
  const jobId = timeOrderedId();
  const deliveryId = timeOrderedId();
  const now = opts.now ?? Date.now();
  const body = opts.body ?? { status: "S001", request_id: jobId, call_uuid: `c-${jobId}`, enqueued_at: now };
  await store.createJob({
    id: jobId,
    kind: "transcription",
    callUuid: `c-${jobId}`,
    params: {},
    audioName: null,
    now,
  });
  await store.finishJob(
    jobId,
    { status: "succeeded", result: {} },
    {
      id: deliveryId,
      event: "transcriptDelivered",
      url,
      policy: opts.policy ?? "makimoto",
      authHeaderName: opts.authHeader?.name ?? null,
      authHeaderValue: opts.authHeader?.value ?? null,
      body: JSON.stringify(body),
    },
    now,
  );
  return { jobId, deliveryId };
}

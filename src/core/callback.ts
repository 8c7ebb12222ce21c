/** What every callback-capable job carries, and the one place its delivery row is built. */
import type { NewDelivery, WebhookEvent } from "../store/types.ts";
import { timeOrderedId } from "./time-ordered-id.ts";

export interface CallbackParams {
  callUuid: string;
  callbackUrl: string | null;
  /** stored with the job because the delivery is created only when the job finishes */
  authHeader?: { name: string; value: string } | undefined;
  /** retry policy preset for the callback; the server default when absent */
  callbackPolicy?: string | undefined;
}

export function callbackDelivery(
  p: CallbackParams,
  event: WebhookEvent,
  body: object,
  defaultPolicy: string,
): NewDelivery | null {
  if (!p.callbackUrl) return null;
  return {
    // time-ordered: attempts are indexed by delivery id, and random ids cost a page write each
    id: timeOrderedId(),
    event,
    url: p.callbackUrl,
    policy: p.callbackPolicy ?? defaultPolicy,
    authHeaderName: p.authHeader?.name ?? null,
    authHeaderValue: p.authHeader?.value ?? null,
    body: JSON.stringify(body),
  };
}

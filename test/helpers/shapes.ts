/**
 * The SPEC.md payload shapes as strict schemas: unknown or missing fields, or wrong types, fail.
 */
import { z } from "zod";

export const transcriptItemShape = z.strictObject({
  text: z.string().min(1),
  time_start: z.number().min(0),
  time_end: z.number().min(0),
  speaker_id: z.number().int().min(0),
  speaker_alias: z.string().min(1),
});

export const transcriptShape = z.strictObject({
  id: z.string().min(1),
  metadata: z.strictObject({
    sample_rate: z.number().int().positive(),
    mode: z.literal("POST"),
    timestamp: z.number().int().positive(),
    lang: z.string(),
    codec: z.string(),
    transcribed_mode: z.literal("POST"),
    num_of_channels: z.number().int().positive(),
    audio_duration: z.number().positive(),
  }),
  transcript: z.array(transcriptItemShape),
});

export const s001Shape = z.strictObject({
  status: z.literal("S001"),
  request_id: z.uuid(),
  call_uuid: z.string().min(1),
  data: transcriptShape,
});

export const e001Shape = z.strictObject({
  status: z.literal("E001"),
  request_id: z.uuid(),
  call_uuid: z.string().min(1),
  error: z.string().min(1),
  error_code: z.string().min(1),
});

export const acceptedShape = z.strictObject({
  status: z.literal("accepted"),
  request_id: z.uuid(),
  call_uuid: z.string().min(1),
});

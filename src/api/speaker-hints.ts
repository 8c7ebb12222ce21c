/**
 * The speaker-count hints of a transcription request (`speakers_expected`, or `min_speakers` /
 * `max_speakers`), shared by both dialects. They steer diarization of one-channel audio; a
 * multi-channel call has a speaker per distinct channel whatever they say.
 */
import { z } from "zod";
import { AppError } from "../core/errors.ts";
import { MAX_SPEAKERS, type SpeakerHints } from "../pipeline/diarization/diarize.ts";

/** A whole number of speakers, as a JSON number or a numeric string (form fields). */
export const speakerCount = (field: string) =>
  z
    .union([z.number(), z.string().trim().regex(/^\d+$/).transform(Number)], {
      error: `${field} must be a whole number from 1 to ${MAX_SPEAKERS}`,
    })
    .pipe(
      z
        .number()
        .int(`${field} must be a whole number from 1 to ${MAX_SPEAKERS}`)
        .min(1, `${field} must be a whole number from 1 to ${MAX_SPEAKERS}`)
        .max(MAX_SPEAKERS, `${field} must be a whole number from 1 to ${MAX_SPEAKERS}`),
    );

export const speakerHintFields = {
  speakers_expected: speakerCount("speakers_expected").optional(),
  min_speakers: speakerCount("min_speakers").optional(),
  max_speakers: speakerCount("max_speakers").optional(),
};

export interface SpeakerHintInput {
  speakers_expected?: number | undefined;
  min_speakers?: number | undefined;
  max_speakers?: number | undefined;
}

/**
 * The request's hints as a range; undefined when none was given (the server's default applies).
 * `speakers_expected` fixes the count and cannot be combined with a range.
 */
export function speakerHints(f: SpeakerHintInput): SpeakerHints | undefined {
  const { speakers_expected: expected, min_speakers: min, max_speakers: max } = f;
  if (expected !== undefined) {
    if (min !== undefined || max !== undefined) {
      const field = min !== undefined ? "min_speakers" : "max_speakers";
      throw new AppError("conflicting_fields", `send speakers_expected or ${field}, not both`, { field });
    }
    return { min: expected, max: expected };
  }
  if (min === undefined && max === undefined) return undefined;
  if (min !== undefined && max !== undefined && min > max) {
    throw new AppError("invalid_field", `min_speakers (${min}) must not be more than max_speakers (${max})`, {
      field: "min_speakers",
    });
  }
  const lo = min ?? 1;
  return { min: lo, max: max ?? Math.max(lo, 2) };
}

const formHints = z.object(speakerHintFields);

/** The same from form fields (`/v1/transcriptions`); a bad value is a 400 naming the field. */
export function speakerHintsFromForm(fields: Record<string, string | undefined>): SpeakerHints | undefined {
  const picked = {
    speakers_expected: fields.speakers_expected,
    min_speakers: fields.min_speakers,
    max_speakers: fields.max_speakers,
  };
  const r = formHints.safeParse(picked);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new AppError("invalid_field", issue.message, { field: String(issue.path[0]) });
  }
  return speakerHints(r.data);
}

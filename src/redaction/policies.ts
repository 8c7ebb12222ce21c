/**
 * PII redaction policies (`redact_pii_policies`) and the labels that replace what they find. Pure.
 */
import { z } from "zod";

export const PII_POLICIES = [
  "credit_card",
  "account_number",
  "phone_number",
  "email_address",
  "us_ssn",
  "date_of_birth",
  "person_name",
] as const;
export type PiiPolicy = (typeof PII_POLICIES)[number];

/** What a redacted span becomes in `text` and in `words`. */
export const PII_LABELS: Record<PiiPolicy, string> = {
  credit_card: "[CREDIT_CARD]",
  account_number: "[ACCOUNT_NUMBER]",
  phone_number: "[PHONE_NUMBER]",
  email_address: "[EMAIL_ADDRESS]",
  us_ssn: "[US_SSN]",
  date_of_birth: "[DATE_OF_BIRTH]",
  person_name: "[PERSON_NAME]",
};

/** AssemblyAI's names for the same policies, accepted as aliases. */
const POLICY_ALIASES: Record<string, PiiPolicy> = {
  credit_card_number: "credit_card",
  us_social_security_number: "us_ssn",
};

const POLICIES_FORMAT = `redact_pii_policies must be a JSON array of policies: ${PII_POLICIES.join(", ")}`;

export const piiPolicyList = z
  .array(
    z
      .string({ error: POLICIES_FORMAT })
      .trim()
      .transform((p) => POLICY_ALIASES[p] ?? p)
      .pipe(
        z.enum(PII_POLICIES, {
          error: (issue) =>
            `redact_pii_policies: unknown policy ${JSON.stringify(issue.input)}; known: ${PII_POLICIES.join(", ")}`,
        }),
      ),
    { error: POLICIES_FORMAT },
  )
  .min(1, `${POLICIES_FORMAT} (at least one; leave the field out for all)`)
  .max(PII_POLICIES.length * 2, POLICIES_FORMAT)
  .transform((list) => PII_POLICIES.filter((p) => list.includes(p)));

/** What a request asked for: the policies (all when it named none), and whether the audio is redacted too. */
export interface RedactionRequest {
  policies: PiiPolicy[];
  audio: boolean;
}

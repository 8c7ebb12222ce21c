/**
 * A call that names two brands the stock language model does not know ("Acme" is heard as "acne",
 * "Northwind" as "north wind"): the vocabulary test and bench/wer.ts use it.
 */
export const BRAND_TERMS = ["Acme", "Northwind"];

export const BRAND_LINES: [voice: string, text: string][] = [
  ["slt", "thank you for calling acme support"],
  ["rms", "i bought it from northwind last week"],
  ["awb", "is acme open on sunday"],
  ["slt", "northwind sent the parcel to my house"],
  ["rms", "my acme account is locked"],
  ["awb", "can northwind refund the order"],
];

/**
 * How a call ends and how the customer feels: which agent actions settle or defer a request,
 * closing phrases, and a small sentiment lexicon (negation is handled by the matcher).
 */

/** Actions that settle the customer's request by themselves. */
export const COMPLETING_ACTIONS = new Set([
  "refund",
  "cancelled",
  "password_reset",
  "reset_link",
  "unlocked",
  "updated",
  "upgraded",
  "replacement",
  "return",
  "opening_hours",
]);
/** Actions that leave something to happen after the call. */
export const FOLLOW_UP_ACTIONS = new Set(["engineer", "callback", "chased", "confirmed_outage"]);
export const ESCALATION_ACTIONS = new Set(["escalated", "complaint_logged"]);

/** Promises of later work, said by anyone; weaker than a follow-up action. */
export const PENDING_PHRASES = [
  "working days",
  "business days",
  "24 hours",
  "48 hours",
  "twenty four hours",
  "forty eight hours",
  "within a week",
  "should arrive",
  "will arrive",
  "should be with you",
  "next week",
  "tomorrow",
  "follow up",
  "look into",
  "looking into",
  "investigate",
  "investigating",
];

/** The customer confirming the problem is gone. */
export const RESOLVED_PHRASES = [
  "that's working",
  "it's working",
  "working now",
  "that worked",
  "it worked",
  "sorted",
  "that's great",
  "that's brilliant",
  "perfect",
  "brilliant",
  "fixed",
  "resolved",
  "i'm in",
  "i'm back in",
  "that's done",
  "all done",
  "that's all i needed",
  "that helps",
  "that's helpful",
  "great thanks",
  "great thank you",
  "thanks for your help",
  "thank you for your help",
  "lovely",
];

/** Late in the call these mean the problem is still there. */
export const UNRESOLVED_PHRASES = [
  "still not working",
  "still doesn't work",
  "still isn't working",
  "didn't work",
  "not resolved",
  "not sorted",
  "nothing you can do",
  "nothing we can do",
  "can't help",
  "cannot help",
  "unable to help",
  "not possible",
  "can't do anything",
  "waste of time",
  "not good enough",
];

export const POSITIVE_WORDS: Record<string, number> = {
  happy: 1,
  great: 1,
  brilliant: 1,
  perfect: 1,
  excellent: 1,
  fantastic: 1,
  wonderful: 1,
  lovely: 1,
  pleased: 1,
  appreciate: 1,
  helpful: 1,
  amazing: 1,
  glad: 1,
  awesome: 1,
  good: 0.5,
  sorted: 0.5,
  // "thank you" closes nearly every call, so it is politeness rather than praise.
  thanks: 0.3,
  thank: 0.3,
};

export const NEGATIVE_WORDS: Record<string, number> = {
  angry: 1.5,
  annoyed: 1.5,
  annoying: 1.5,
  frustrated: 2,
  frustrating: 2,
  ridiculous: 2,
  terrible: 1.5,
  awful: 1.5,
  unacceptable: 2,
  disappointed: 1.5,
  disappointing: 1.5,
  useless: 1.5,
  worst: 1.5,
  rude: 1,
  upset: 1.5,
  "fed up": 2,
  joke: 1,
  disgusting: 2,
  horrible: 1.5,
  bad: 1,
  furious: 2,
  "sick of": 2,
  shocking: 1.5,
  appalling: 2,
  pathetic: 2,
  "waste of time": 2,
  unhappy: 1.5,
  poor: 1,
  nightmare: 2,
  "third time": 1.5,
  "second time": 1,
};

/** Words that on their own mark a frustrated (not just unhappy) customer. */
export const FRUSTRATION_WORDS = new Set([
  "frustrated",
  "frustrating",
  "ridiculous",
  "unacceptable",
  "fed up",
  "furious",
  "sick of",
  "third time",
  "joke",
  "waste of time",
  "pathetic",
  "nightmare",
  "angry",
]);

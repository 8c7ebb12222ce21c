/**
 * A Postgres schema name we accept: a lower-case identifier of at most 52 characters, so that the
 * schema's notification channel `callscribe_<schema>` fits Postgres' 63-byte identifier limit.
 */
export const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,51}$/;

/** A URL safe to show in errors and logs: no credentials, no query string. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = "";
    u.password = "";
    u.search = "";
    return u.toString();
  } catch {
    return "(invalid url)";
  }
}

/** A URL as shown to API users and operators: everything kept but a password (`user:***@host`). */
export function hidePassword(url: string): string {
  try {
    const u = new URL(url);
    if (!u.password) return url;
    u.password = "***";
    return u.toString();
  } catch {
    return "(invalid url)";
  }
}

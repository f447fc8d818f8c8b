/**
 * Secrets never reach a message, a log or the database: connection strings are shown with their
 * password replaced, and any text that might quote one (a driver's error) is scrubbed.
 */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '<unparseable connection string>';
  }
}

/** `text` with every occurrence of the URL, and of its password, replaced by the redacted form. */
export function scrubSecrets(text: string, url: string): string {
  let out = text.replaceAll(url, redactUrl(url));
  try {
    const password = decodeURIComponent(new URL(url).password);
    if (password) out = out.replaceAll(password, '***');
  } catch {
    // not a URL: nothing more to find
  }
  return out;
}

/** The dashboard's API from the page: the cookie carries the token; errors keep the server's words. */

export class ApiError extends Error {
  constructor(
    message: string,
    readonly hint: string | null,
    readonly status: number,
  ) {
    super(message);
  }
}

async function call<T>(path: string, init?: RequestInit): Promise<T> {
  const response = await fetch(path, { credentials: 'same-origin', ...init });
  const body = (await response.json().catch(() => null)) as { error?: string; hint?: string | null } | null;
  if (!response.ok)
    throw new ApiError(body?.error ?? `${response.status} ${response.statusText}`, body?.hint ?? null, response.status);
  return body as T;
}

export const get = <T>(path: string): Promise<T> => call<T>(path);

export const post = <T>(path: string, body: unknown = {}): Promise<T> =>
  call<T>(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

/** A query string of the parameters that are set. */
export function query(params: Record<string, string | undefined | null>): string {
  const set = Object.entries(params).filter(
    (e): e is [string, string] => e[1] !== undefined && e[1] !== null && e[1] !== '',
  );
  return set.length ? `?${new URLSearchParams(set).toString()}` : '';
}

export const jobPath = (jobId: string) => `/api/jobs/${encodeURIComponent(jobId)}`;

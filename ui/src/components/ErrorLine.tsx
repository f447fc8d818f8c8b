import { ApiError } from '../api.js';

/** A failed request in the server's words, with its hint. */
export function ErrorLine({ error }: { error: unknown }) {
  if (!error) return null;
  const message = error instanceof Error ? error.message : String(error);
  const hint = error instanceof ApiError ? error.hint : null;
  return (
    <p class="error" role="alert">
      {message}
      {hint && <span class="hint"> — {hint}</span>}
    </p>
  );
}

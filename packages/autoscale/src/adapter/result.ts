/** An expected failure as a value: `{ ok: true, value }` or `{ ok: false, error }` with a message a person can act on. */
export type Result<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: string };

/** Wraps a value as a successful {@link Result}. */
export function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}

/** Wraps a message as a failed {@link Result}. */
export function fail<T = never>(error: string): Result<T> {
  return { ok: false, error };
}

/**
 * Resolves after `ms` milliseconds.
 * @example await sleep(1000);
 */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Polls `check` until it returns true; after `timeoutMs` throws, naming `what` and the last error.
 * @param what what is awaited, for the error message
 * @param check resolves true when done (a throw counts as "not yet")
 * @param timeoutMs default 30 000
 * @param everyMs default 250
 * @example await waitFor('Prometheus to be ready', async () => (await fetch(url)).ok);
 */
export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs = 30_000,
  everyMs = 250,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (error) {
      last = error;
    }
    await sleep(everyMs);
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`,
  );
}

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
 * @param check true (or resolves true) when done (a throw counts as "not yet")
 * @param timeoutMs default 30 000
 * @param everyMs default 250
 * @example await waitFor('Prometheus to be ready', async () => (await fetch(url)).ok);
 */
export async function waitFor(
  what: string,
  check: () => boolean | Promise<boolean>,
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

/**
 * Polls `check` often (every 5 ms by default) until it holds: for conditions inside one process,
 * such as a counter reaching a value or a socket closing. After `timeoutMs` throws.
 * @param check true (or resolves true) when done
 * @param timeoutMs default 10 000
 * @param everyMs default 5
 * @example await until(() => queue.depth === 0);
 */
export function until(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
  everyMs = 5,
): Promise<void> {
  return waitFor('a condition of the test', check, timeoutMs, everyMs);
}

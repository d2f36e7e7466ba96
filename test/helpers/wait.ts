// Polling for the tests: wait until a check yields a value, bounded in time.

export type Check<T> = () => Promise<T | undefined | false> | T | undefined | false;

/**
 * Polls `check` every 100 ms until it returns something other than undefined or false, at most `timeoutMs`. A
 * check that throws counts as "not yet"; the last error is in the timeout's message.
 */
export async function waitFor<T>(what: string, check: Check<T>, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < end) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}${last ? ` (${(last as Error).message})` : ""}`);
}

/** waitFor with another default bound, for a file whose waits are all of one kind. */
export const waitWithin =
  (defaultMs: number) =>
  <T>(what: string, check: Check<T>, timeoutMs = defaultMs): Promise<T> =>
    waitFor(what, check, timeoutMs);

/**
 * Waiting in tests for something that takes a while (a process up, a replica
 * found): polls `probe` until it returns a value other than null, up to
 * `ms`. An error thrown by `probe` ends the wait: it is the test's to see.
 */
export async function until<T>(
  what: string,
  probe: () => Promise<T | null>,
  ms = 60_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== null) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

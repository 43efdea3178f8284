/** Anything an afterAll hook closes: a test app, a Nest app, a browser context, a helper server. */
interface Closable {
  close(): Promise<unknown>;
}

/**
 * For afterAll hooks: closes, in order, each item that beforeAll got as far as creating and
 * skips those it did not (still undefined), so a beforeAll that failed part-way still closes
 * what it started, and Jest reports that failure instead of a TypeError from the hook. Every
 * item is closed even when closing an earlier one fails; the first failure is rethrown.
 */
export async function closeStarted(...items: (Closable | undefined)[]): Promise<void> {
  const failures: unknown[] = [];
  for (const item of items) {
    try {
      await item?.close();
    } catch (error) {
      failures.push(error);
    }
  }
  if (failures.length > 0) throw failures[0];
}

/** For afterAll hooks: runs `cleanUp` on `item` if beforeAll got as far as creating it. */
export async function ifStarted<T>(
  item: T | undefined,
  cleanUp: (item: T) => unknown,
): Promise<void> {
  if (item !== undefined) await cleanUp(item);
}

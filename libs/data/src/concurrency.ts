/**
 * Maps `items` through `fn` with at most `limit` calls in flight and yields the results in
 * input order (a reorder buffer of at most `limit` results), so decoding runs in parallel
 * while the cache is still written sequentially. `fn` must not reject for per-item problems.
 */
export async function* mapOrdered<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): AsyncGenerator<R> {
  const pending: Promise<R>[] = [];
  let next = 0;
  const fill = () => {
    while (next < items.length && pending.length < limit) {
      const i = next++;
      const p = fn(items[i], i);
      // A consumer that stops early must not leave an unhandled rejection behind.
      p.catch(() => undefined);
      pending.push(p);
    }
  };
  fill();
  for (let head = pending.shift(); head; head = pending.shift()) {
    const r = await head;
    fill();
    yield r;
  }
}

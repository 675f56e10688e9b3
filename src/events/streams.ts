/**
 * Async iterators over live streams. Unlike an `async function*` wrapper,
 * whose return() waits behind a pending next() (so a subscription a client
 * ended would linger until its next event, maybe forever), these pass
 * return() to their source at once.
 */

type Stream<T> = AsyncIterableIterator<T> & { return(): Promise<IteratorResult<T>> };

const DONE = { done: true, value: undefined } as const;

/** Each item of a stream of arrays, in order. */
export function flatten<T>(source: AsyncIterator<T[]>): Stream<T> {
  let items: T[] = [];
  let next = 0;
  const stream: Stream<T> = {
    async next() {
      while (next >= items.length) {
        const r = await source.next();
        if (r.done) return DONE;
        items = r.value;
        next = 0;
      }
      return { done: false, value: items[next++]! };
    },
    async return() {
      items = [];
      await source.return?.();
      return DONE;
    },
    [Symbol.asyncIterator]: () => stream,
  };
  return stream;
}

/**
 * `fn` of each item of `source`. `onError` sees an error the source ends
 * with before it goes on to the consumer; if `fn` fails, the source is closed.
 */
export function mapStream<T, U>(source: AsyncIterator<T>, fn: (item: T) => U | Promise<U>, onError?: (err: unknown) => void): Stream<U> {
  const stream: Stream<U> = {
    async next() {
      let r: IteratorResult<T>;
      try {
        r = await source.next();
      } catch (err) {
        onError?.(err);
        throw err;
      }
      if (r.done) return DONE;
      try {
        return { done: false, value: await fn(r.value) };
      } catch (err) {
        await source.return?.();
        throw err;
      }
    },
    async return() {
      await source.return?.();
      return DONE;
    },
    [Symbol.asyncIterator]: () => stream,
  };
  return stream;
}

// Reading the first records of a source ahead (to guess a mapping from them) without losing them.

/** Up to `count` items from the iterator; fewer when it ends first. */
export async function take<T>(iterator: AsyncIterator<T>, count: number): Promise<T[]> {
  const items: T[] = [];
  while (items.length < count) {
    const next = await iterator.next();
    if (next.done) break;
    items.push(next.value);
  }
  return items;
}

/** The items taken ahead, then the rest of the iterator they came from; closing this closes that. */
export async function* prepend<T>(first: readonly T[], rest: AsyncIterator<T>): AsyncGenerator<T> {
  let finished = false;
  try {
    yield* first;
    for (let next = await rest.next(); !next.done; next = await rest.next()) yield next.value;
    finished = true;
  } finally {
    // stopped early (a failed run): the source's own finally blocks close its streams
    if (!finished) await rest.return?.(undefined);
  }
}

/** How many records of a source a mapping is guessed from, when nothing names the fields. */
export const sampleRecords = 50;

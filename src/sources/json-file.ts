// An uploaded JSON file as a source: a JSON array of records, NDJSON (one record a line), or a JSON
// document whose list of records import.records_path names (`data.items`). Never parsed whole: a
// document goes through the streamed list reader of json-list.ts, one record assembled at a time; NDJSON
// is read a line at a time. A document that is not valid JSON (a truncated export) fails the run, naming where,
// as its records would be a partial snapshot that proposes deleting the listings it lacks.
import { jsonListItems } from './json-list';
import { openText, type TextFile } from './text-file';
import { SourceError, type ProblemSink, type SourceOpener, type SourceRecord } from './source';

/** An NDJSON line longer than this is a problem of its own, not read into memory. */
const maxLineChars = 16 * 1024 * 1024;
/** How far past the start of a document that is one object the lists in it are looked for, for the message. */
const listSearchTokens = 2_000_000;

/** An uploaded JSON array, NDJSON file or JSON document as a source; records differ, so `fields` is null. */
export const openJsonFile: SourceOpener = async ({ config, upload }, onProblem) => {
  if (!upload) throw new SourceError('No file was uploaded for this run');
  const text = await openText(upload, 'JSON');
  const recordsPath = config.import.records_path as string | undefined;
  const start = text.sample.search(/\S/);
  const first = text.sample[start];
  if (start < 0 || (!recordsPath && first !== '[' && first !== '{')) {
    await text.close();
    if (start < 0) throw new SourceError('The file holds no JSON: it is blank');
    throw new SourceError(`The file is not a JSON array of records or NDJSON: it starts with ${JSON.stringify(text.sample.slice(start, start + 20))}`);
  }
  if (!recordsPath && first === '{' && isNdjson(text.sample.slice(start), text.complete)) {
    return { fields: null, format: { format: 'ndjson', encoding: text.encoding }, records: ndjsonRecords(text, onProblem) };
  }
  const format = recordsPath ? 'json document' : 'json array';
  return { fields: null, format: { format, encoding: text.encoding }, records: documentRecords(text, recordsPath, onProblem) };
};

/**
 * NDJSON when its first line is a whole JSON object and something follows it; a file that is one object
 * (pretty-printed, or alone on its line) is a document, refused without import.records_path.
 */
function isNdjson(sample: string, complete: boolean): boolean {
  const end = sample.indexOf('\n');
  if (end < 0) return false;
  try {
    const value: unknown = JSON.parse(sample.slice(0, end));
    if (!isRecord(value)) return false;
  } catch {
    return false;
  }
  return /\S/.test(sample.slice(end)) || !complete;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'string' ? 'a string' : typeof value === 'number' ? 'a number' : typeof value === 'boolean' ? 'a true/false value' : 'not an object';
}

async function* ndjsonRecords(text: TextFile, onProblem: ProblemSink): AsyncGenerator<SourceRecord> {
  let pending = '';
  let line = 0;
  // a line over the limit is dropped up to its end, not held
  let skipping = false;
  /** whether the line read last ended with a line break: the last line of a file cut short has none */
  let ended = true;
  async function* lines(): AsyncGenerator<string | null> {
    for await (const chunk of text.chunks) {
      let from = 0;
      for (let end = chunk.indexOf('\n'); end >= 0; end = chunk.indexOf('\n', from)) {
        const piece = chunk.slice(from, end);
        from = end + 1;
        line += 1;
        if (skipping) {
          skipping = false;
          yield null;
        } else yield pending + piece;
        pending = '';
      }
      if (skipping) continue;
      pending += chunk.slice(from);
      if (pending.length > maxLineChars) {
        skipping = true;
        pending = '';
      }
    }
    line += 1;
    ended = false;
    if (skipping) yield null;
    else if (pending) yield pending;
  }
  for await (const content of lines()) {
    if (content === null) {
      await onProblem({ line, reason: `Line ${line} is longer than ${maxLineChars / 1024 / 1024} MiB, too long to be one record` });
      continue;
    }
    const body = content.trim();
    if (!body) continue;
    let value: unknown;
    try {
      value = JSON.parse(body);
    } catch (error) {
      // a full snapshot of a file cut mid-line would propose deleting the listings after the cut
      if (!ended) {
        throw new SourceError(`The file looks cut short at line ${line}: its last line has no line end and is not valid JSON; `
          + 'nothing of it is imported, as a cut-short file would propose deleting the listings it lacks');
      }
      await onProblem({ line, reason: `Line ${line} is not valid JSON (${(error as Error).message})` });
      continue;
    }
    if (!isRecord(value)) {
      await onProblem({ line, reason: `Line ${line} is ${kindOf(value)}, not a record (a JSON object)` });
      continue;
    }
    yield { line, fields: value };
  }
}

async function* documentRecords(text: TextFile, recordsPath: string | undefined, onProblem: ProblemSink): AsyncGenerator<SourceRecord> {
  let count = 0;
  const items = jsonListItems(text.chunks, {
    path: recordsPath ? recordsPath.split('.') : [],
    itemName: 'Record',
    listSearchTokens,
    refusal: (found, lists) => {
      const note = lists.length ? ` (its lists of objects: ${lists.slice(0, 10).join(', ')})` : '';
      if (!recordsPath) return `The file is one JSON object, not a list of records: set import.records_path to the list of records inside it${note}`;
      if (found) return `import.records_path "${recordsPath}" names ${found}, not a list of records${note}`;
      return `import.records_path "${recordsPath}" is not in the document${note}`;
    },
  });
  for await (const { position, value } of items) {
    count += 1;
    if (isRecord(value)) yield { line: position, fields: value };
    else await onProblem({ line: position, reason: `Record ${position} is ${kindOf(value)}, not a record (a JSON object)` });
  }
  if (count === 0) throw new SourceError(`The ${recordsPath ? `list at import.records_path "${recordsPath}"` : 'JSON array'} is empty: the file has no records`);
}

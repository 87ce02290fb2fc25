// An uploaded JSON file as a source: a JSON array of records, NDJSON (one record a line), or a JSON
// document whose list of records import.records_path names (`data.items`). Never parsed whole: a
// document goes through stream-json's tokenizer and one record is assembled at a time; NDJSON is read
// a line at a time. A document that is not valid JSON (a truncated export) fails the run, naming where,
// as its records would be a partial snapshot that proposes deleting the listings it lacks.
import { pipeline, Readable } from 'node:stream';
import Assembler from 'stream-json/assembler.js';
import parser from 'stream-json/parser.js';
import batch from 'stream-json/utils/batch.js';
import { jsonVerifier } from 'stream-json/utils/verifier.js';
import { openText, type TextFile } from './text-file';
import { SourceError, type ProblemSink, type SourceOpener, type SourceRecord } from './source';

/** Deeper than this is not a listing (and would overflow the stack of what reads it next). */
const maxDepth = 64;
/** An NDJSON line longer than this is a problem of its own, not read into memory. */
const maxLineChars = 16 * 1024 * 1024;
/** How far past the start of a document that is one object the lists in it are looked for, for the message. */
const listSearchTokens = 2_000_000;

type Token = { name: string; value?: unknown };
/** A scalar token's value as JSON.parse would give it (the tokenizer keeps numbers as text). */
const scalarOf = (token: Token) => (token.name === 'numberValue' ? Number(token.value) : token.value);

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

/** Where the reader is in the document: the containers around the current value. */
interface Container {
  isArray: boolean;
  /** an object's current key; an array's items are numbered by index */
  key: string | null;
  index: number;
  /** this array is the list of records */
  records: boolean;
}

async function* documentRecords(text: TextFile, recordsPath: string | undefined, onProblem: ProblemSink): AsyncGenerator<SourceRecord> {
  const target = recordsPath ? recordsPath.split('.') : [];
  const verify = jsonVerifier();
  let lines = 1;
  async function* verified(): AsyncGenerator<string> {
    for await (const chunk of text.chunks) {
      // the tokenizer says only that the text is wrong; the verifier says where
      verify(chunk);
      for (let i = chunk.indexOf('\n'); i >= 0; i = chunk.indexOf('\n', i + 1)) lines += 1;
      yield chunk;
    }
  }
  const tokens = pipeline(
    Readable.from(verified()), parser.asStream({ packValues: true, streamValues: false }), batch.asStream({ batchSize: 1000 }),
    () => undefined,
  );

  const stack: Container[] = [];
  /** lists of objects met on the way, for a message that says where the records may be */
  const lists: string[] = [];
  let listCandidate: string | null = null;
  let record: Assembler | null = null;
  let found = false;
  let records = 0;
  let problems = 0;
  /** set when the document cannot give records: what to say once the lists in it are known */
  let refusal: string | null = null;
  let searched = 0;

  const here = () => stack.map((container) => (container.isArray ? String(container.index) : container.key ?? ''));
  const atTarget = () => stack.length === target.length && here().every((segment, i) => segment === target[i]);
  const afterValue = () => {
    const top = stack.at(-1);
    if (top?.isArray) top.index += 1;
  };
  const listsNote = () => (lists.length ? ` (its lists of objects: ${lists.slice(0, 10).join(', ')})` : '');
  const refuse = (message: string) => new SourceError(`${message}${listsNote()}`);
  const problem = async (position: number, value: unknown) => {
    problems += 1;
    await onProblem({ line: position, reason: `Record ${position} is ${kindOf(value)}, not a record (a JSON object)` });
  };

  try {
    for await (const batchOfTokens of tokens as AsyncIterable<Token[]>) {
      for (const token of batchOfTokens) {
        if (record) {
          record.consume(token as never);
          if (record.depth + stack.length > maxDepth) throw new SourceError(`Record ${stack.at(-1)!.index + 1} is nested deeper than ${maxDepth} levels`);
          if (!record.done) continue;
          const position = stack.at(-1)!.index + 1;
          if (isRecord(record.current)) {
            records += 1;
            yield { line: position, fields: record.current };
          } else await problem(position, record.current);
          record = null;
          afterValue();
          continue;
        }
        if (refusal !== null && (searched += 1) > listSearchTokens) throw refuse(refusal);
        if (token.name === 'keyValue') {
          stack.at(-1)!.key = token.value as string;
          continue;
        }
        if (token.name === 'endObject' || token.name === 'endArray') {
          stack.pop();
          afterValue();
          continue;
        }
        const top = stack.at(-1);
        const opens = token.name === 'startObject' || token.name === 'startArray';
        if (top?.records) {
          if (opens) {
            record = new Assembler();
            record.consume(token as never);
          } else {
            await problem(top.index + 1, scalarOf(token));
            afterValue();
          }
          continue;
        }
        if (listCandidate !== null) {
          if (token.name === 'startObject') lists.push(listCandidate);
          listCandidate = null;
        }
        if (stack.length >= maxDepth) throw new SourceError(`The document is nested deeper than ${maxDepth} levels at line ${lines}`);
        const isTarget = refusal === null && atTarget();
        if (token.name === 'startArray') {
          if (isTarget) found = true;
          else if (stack.length < 4) listCandidate = here().join('.');
          stack.push({ isArray: true, key: null, index: 0, records: isTarget });
          continue;
        }
        if (isTarget) {
          refusal = !recordsPath
            ? 'The file is one JSON object, not a list of records: set import.records_path to the list of records inside it'
            : `import.records_path "${recordsPath}" names ${token.name === 'startObject' ? 'an object' : kindOf(scalarOf(token))}, not a list of records`;
        }
        if (token.name === 'startObject') stack.push({ isArray: false, key: null, index: 0, records: false });
        else afterValue();
      }
    }
  } catch (error) {
    if (error instanceof SourceError) throw error;
    const where = error as { line?: unknown; pos?: unknown; message?: string };
    const cause = 'nothing of it is imported, as a broken or cut-short file would propose deleting the listings it lacks';
    if (typeof where.line === 'number') {
      const reason = (where.message ?? '').replace(/^.*?cannot parse input: /, '');
      throw new SourceError(`The JSON is not valid at line ${where.line}, position ${where.pos} (${reason}); ${cause}`);
    }
    throw new SourceError(`The JSON ends before it is complete, at line ${lines}: the file looks cut short; ${cause}`);
  } finally {
    tokens.destroy();
  }
  if (refusal !== null) throw refuse(refusal);
  if (!found) throw refuse(`import.records_path "${recordsPath}" is not in the document`);
  if (records + problems === 0) throw new SourceError(`The ${recordsPath ? `list at import.records_path "${recordsPath}"` : 'JSON array'} is empty: the file has no records`);
}

// The items of one list in a JSON document, streamed: the text goes through stream-json's tokenizer
// and one item is assembled at a time, so a 200 MB FeatureCollection is read in the memory of one
// feature. The list is at a path of object keys and list indexes from the top (`features`,
// `data.items`, `pages.0.results`) or is the document itself. The document's top-level scalar members
// (GeoJSON's "type") are handed to a callback as they are read. Broken JSON fails naming the line and
// position; a document cut short says so, as its items would be a partial snapshot. Used by the JSON
// file source (json-file.ts) and the POI source (poi.ts).
import { pipeline, Readable } from 'node:stream';
import Assembler from 'stream-json/assembler.js';
import parser from 'stream-json/parser.js';
import batch from 'stream-json/utils/batch.js';
import { jsonVerifier } from 'stream-json/utils/verifier.js';
import { SourceError } from './source';

/** Deeper than this is not a listing or a point of interest (and would overflow the stack of what reads it next). */
const maxDepth = 64;
/** Lists of objects are named for a refusal down to this depth: where a person would look for records. */
const listNamingDepth = 4;

type Token = { name: string; value?: unknown };

export interface JsonListOptions {
  /** Object keys and list indexes from the top to the list; [] when the document is the list. */
  path: readonly string[];
  /** How one item is named in messages: "Feature", "Record". */
  itemName: string;
  /**
   * What to say when the path names something that is not a list (`found`: "an object", "a number"…)
   * or is not in the document (`found` null). `lists` are the paths of the lists of objects read so far,
   * for a message that says where the items may be.
   */
  refusal: (found: string | null, lists: readonly string[]) => string;
  /** How many tokens to read on past a refused path, naming the document's lists of objects; 0 refuses at once. */
  listSearchTokens?: number;
  /** Each scalar member of the top-level object, as it is read; may throw to refuse the document. */
  onTopLevel?: (key: string, value: unknown) => void;
}

export interface JsonListItem {
  /** 1-based position in the list. */
  position: number;
  /** The item as JSON.parse would give it: an object, a list or a scalar. */
  value: unknown;
}

const kindOfToken = (name: string) =>
  name === 'startObject' ? 'an object' : name === 'stringValue' ? 'a string' : name === 'numberValue' ? 'a number' : name === 'nullValue' ? 'null' : 'a true/false value';

const isIndex = (segment: string | undefined) => segment !== undefined && /^\d+$/.test(segment);

/** Where the reader is in the document: the containers around the current value. */
interface Container {
  isArray: boolean;
  /** an object's current key; an array's items are numbered by index */
  key: string | null;
  index: number;
}

export async function* jsonListItems(text: AsyncIterable<string>, options: JsonListOptions): AsyncGenerator<JsonListItem> {
  const { path, itemName } = options;
  const verify = jsonVerifier();
  let lines = 1;
  async function* verified(): AsyncGenerator<string> {
    for await (const chunk of text) {
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
  let inList = false;
  let found = false;
  let item: Assembler | null = null;
  let items = 0;
  /** lists of objects met on the way, for a refusal */
  const lists: string[] = [];
  /** a list just opened, named once its first item shows it is a list of objects */
  let listCandidate: string | null = null;
  /** what the path names when it is not a list, once met: the refusal waits to name the lists after it */
  let refused: string | null = null;
  let searched = 0;

  const here = () => stack.map((level) => (level.isArray ? String(level.index) : level.key ?? ''));
  const atList = () => stack.length === path.length && here().every((segment, i) => segment === path[i]);
  const afterValue = () => {
    const top = stack.at(-1);
    if (top?.isArray) top.index += 1;
  };
  const refuse = (what: string | null) => new SourceError(options.refusal(what, lists.slice()));
  const itemDone = (assembled: Assembler): JsonListItem => {
    items += 1;
    const done = { position: stack.at(-1)!.index + 1, value: assembled.current as unknown };
    item = null;
    afterValue();
    return done;
  };

  try {
    for await (const batchOfTokens of tokens as AsyncIterable<Token[]>) {
      for (const token of batchOfTokens) {
        if (item) {
          item.consume(token as never);
          if (item.depth + stack.length > maxDepth) throw new SourceError(`${itemName} ${stack.at(-1)!.index + 1} is nested deeper than ${maxDepth} levels`);
          if (item.done) yield itemDone(item);
          continue;
        }
        if (refused !== null && (searched += 1) > (options.listSearchTokens ?? 0)) throw refuse(refused);
        if (listCandidate !== null) {
          if (token.name === 'startObject') lists.push(listCandidate);
          listCandidate = null;
        }
        if (token.name === 'keyValue') {
          stack.at(-1)!.key = token.value as string;
          continue;
        }
        if (token.name === 'endObject' || token.name === 'endArray') {
          if (token.name === 'endArray' && inList && stack.length === path.length + 1) inList = false;
          stack.pop();
          afterValue();
          continue;
        }
        if (inList) {
          const assembled = new Assembler();
          assembled.consume(token as never);
          if (assembled.done) yield itemDone(assembled);
          else item = assembled;
          continue;
        }
        if (stack.length >= maxDepth) throw new SourceError(`The document is nested deeper than ${maxDepth} levels at line ${lines}`);
        const isList = !found && refused === null && atList();
        if (isList && token.name !== 'startArray') {
          refused = kindOfToken(token.name);
          if (!options.listSearchTokens) throw refuse(refused);
        }
        if (stack.length === 1 && !stack[0]!.isArray && token.name !== 'startObject' && token.name !== 'startArray') {
          options.onTopLevel?.(stack[0]!.key ?? '', token.value);
        }
        if (token.name === 'startArray') {
          if (isList) found = inList = true;
          // a document that is a list has no key path in it: said now, not after reading the whole list
          else if (stack.length === 0 && path.length && !isIndex(path[0])) throw refuse(null);
          else if (stack.length > 0 && stack.length < listNamingDepth) listCandidate = here().join('.');
          stack.push({ isArray: true, key: null, index: 0 });
        } else if (token.name === 'startObject') {
          stack.push({ isArray: false, key: null, index: 0 });
        } else afterValue();
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
    const after = items ? ` after ${itemName.toLowerCase()} ${items}` : '';
    throw new SourceError(`The JSON ends before it is complete, at line ${lines}: the file looks cut short${after}; ${cause}`);
  } finally {
    tokens.destroy();
  }
  if (refused !== null) throw refuse(refused);
  if (!found) throw refuse(null);
}

// The items of one list in a JSON document, streamed: the text goes through stream-json's tokenizer
// and one item is assembled at a time, so a 200 MB FeatureCollection is read in the memory of one
// feature. The list is at a path of object keys from the top (`features`, `data.items`) or is the
// document itself. The document's top-level scalar members (GeoJSON's "type") are handed to a
// callback as they are read. Broken JSON fails naming the line and position; a document cut short
// says so, as its items would be a partial snapshot.
import { pipeline, Readable } from 'node:stream';
import Assembler from 'stream-json/assembler.js';
import parser from 'stream-json/parser.js';
import batch from 'stream-json/utils/batch.js';
import { jsonVerifier } from 'stream-json/utils/verifier.js';
import { SourceError } from './source';

/** Deeper than this is not a point of interest (and would overflow the stack of what reads it next). */
const maxDepth = 64;

type Token = { name: string; value?: unknown };

export interface JsonListOptions {
  /** Object keys from the top to the list; [] when the document is the list. */
  path: readonly string[];
  /** How the list is named in messages: `"features"`, `import.records_path "data.items"`. */
  listName: string;
  /** Said after a message that the list is not there or not a list: what to set instead. */
  hint?: string;
  /** Each scalar member of the top-level object, as it is read; may throw to refuse the document. */
  onTopLevel?: (key: string, value: unknown) => void;
}

export interface JsonListItem {
  /** 1-based position in the list. */
  position: number;
  value: unknown;
}

const kindOfToken = (name: string) =>
  name === 'startObject' ? 'an object' : name === 'stringValue' ? 'a string' : name === 'numberValue' ? 'a number' : name === 'nullValue' ? 'null' : 'a true/false value';

export async function* jsonListItems(text: AsyncIterable<string>, options: JsonListOptions): AsyncGenerator<JsonListItem> {
  const hint = options.hint ? `: ${options.hint}` : '';
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

  // the keys (objects) and indexes (lists) around the current value
  const stack: { isArray: boolean; key: string | null; index: number }[] = [];
  let inList = false;
  let found = false;
  let item: Assembler | null = null;
  let items = 0;
  const afterValue = () => {
    const top = stack.at(-1);
    if (top?.isArray) top.index += 1;
  };
  const atList = () => stack.length === options.path.length && stack.every((level, i) => !level.isArray && level.key === options.path[i]);

  try {
    for await (const batchOfTokens of tokens as AsyncIterable<Token[]>) {
      for (const token of batchOfTokens) {
        if (item) {
          item.consume(token as never);
          if (item.depth + stack.length > maxDepth) throw new SourceError(`Item ${stack.at(-1)!.index + 1} of ${options.listName} is nested deeper than ${maxDepth} levels`);
          if (!item.done) continue;
          items += 1;
          yield { position: stack.at(-1)!.index + 1, value: item.current };
          item = null;
          afterValue();
          continue;
        }
        if (token.name === 'keyValue') {
          stack.at(-1)!.key = token.value as string;
          continue;
        }
        if (token.name === 'endObject' || token.name === 'endArray') {
          if (token.name === 'endArray' && inList && stack.length === options.path.length + 1) inList = false;
          stack.pop();
          afterValue();
          continue;
        }
        if (inList) {
          item = new Assembler();
          item.consume(token as never);
          if (item.done) {
            items += 1;
            yield { position: stack.at(-1)!.index + 1, value: item.current };
            item = null;
            afterValue();
          }
          continue;
        }
        if (stack.length >= maxDepth) throw new SourceError(`The document is nested deeper than ${maxDepth} levels at line ${lines}`);
        const isList = !found && atList();
        if (isList && token.name !== 'startArray') {
          throw new SourceError(`${options.listName} is ${kindOfToken(token.name)}, not a list${hint}`);
        }
        if (stack.length === 1 && !stack[0]!.isArray && token.name !== 'startObject' && token.name !== 'startArray') {
          options.onTopLevel?.(stack[0]!.key ?? '', token.value);
        }
        if (token.name === 'startArray') {
          if (isList) found = inList = true;
          else if (stack.length === 0 && options.path.length) throw new SourceError(`The document is a list, not an object with ${options.listName}${hint}`);
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
    throw new SourceError(`The JSON ends before it is complete, at line ${lines} after item ${items} of ${options.listName}: the file looks cut short; ${cause}`);
  } finally {
    tokens.destroy();
  }
  if (!found) throw new SourceError(`The document has no ${options.listName}${hint}`);
}

// The importer of each source type: one module per type, each an async iterable of raw records.
import type { SourceType } from '../domain/config-params';
import { openApi } from './api';
import { openCsvSource } from './csv';
import { openDrupal } from './drupal';
import { openJsonFile } from './json-file';
import { openPoi } from './poi';
import type { SourceOpener, SourceRecord } from './source';
import { textProblem } from './text-problem';
import { openWebsite } from './website';
import { openWordPress } from './wordpress';
import { openXlsx } from './xlsx';

const openers: Partial<Record<SourceType, SourceOpener>> = {
  csv: openCsvSource,
  json: openJsonFile,
  xlsx: openXlsx,
  wordpress: openWordPress,
  drupal: openDrupal,
  website: openWebsite,
  api: openApi,
  poi: openPoi,
};

/** The importer of a source type, or null while the type has none. */
export function sourceOpener(sourceType: SourceType): SourceOpener | null {
  const open = openers[sourceType];
  return open ? withReadableText(open) : null;
}

/**
 * Why a record cannot be stored, naming its field: a string (or a key) that no text can hold, or, in
 * a file decoded as UTF-8 or UTF-16, a U+FFFD the decoder put where the bytes were not that encoding
 * (a Windows-1252 export read as UTF-8 would otherwise be staged with its accents lost).
 */
function unreadableField(fields: Record<string, unknown>, decodedAs: string | null): string | null {
  const stack: { value: unknown; path: string }[] = [{ value: fields, path: '' }];
  while (stack.length) {
    const { value, path } = stack.pop()!;
    if (typeof value === 'string') {
      const problem = textProblem(value);
      if (problem) return `${path} ${problem}`;
      const replaced = decodedAs ? value.indexOf('\uFFFD') : -1;
      if (replaced >= 0) {
        return `${path} holds bytes that are not ${decodedAs} (read as U+FFFD at character ${replaced + 1}): the file is not all ` +
          `${decodedAs}; save it as ${decodedAs}${decodedAs === 'UTF-8' ? ', or set import.encoding to the one it has (such as windows-1252)' : ''}`;
      }
    } else if (value !== null && typeof value === 'object') {
      const entries = Array.isArray(value) ? value.map((item, i) => [`[${i}]`, item] as const) : Object.entries(value);
      for (const [key, item] of entries) {
        const keyProblem = Array.isArray(value) ? null : textProblem(key);
        if (keyProblem) return `The field name ${JSON.stringify(key)} ${keyProblem}`;
        stack.push({ value: item, path: Array.isArray(value) ? `${path}${key}` : path ? `${path}.${key}` : key });
      }
    }
  }
  return null;
}

/** An opener whose records that no field could store are problems with their line and field, not records. */
function withReadableText(open: SourceOpener): SourceOpener {
  return async (input, onProblem) => {
    const source = await open(input, onProblem);
    const encoding = source.format?.encoding?.toLowerCase();
    const decodedAs = encoding === 'utf-8' ? 'UTF-8' : encoding?.startsWith('utf-16') ? 'UTF-16' : null;
    async function* records(): AsyncGenerator<SourceRecord> {
      for await (const record of source.records) {
        const problem = unreadableField(record.fields, decodedAs);
        if (problem) await onProblem({ line: record.line, reason: problem });
        else yield record;
      }
    }
    return { ...source, records: records() };
  };
}

export { SourceError, type OpenedSource, type SourceInput, type SourceRecord } from './source';

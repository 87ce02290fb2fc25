// The importer of each source type: one module per type, each an async iterable of raw records.
import type { SourceType } from '../domain/config-params';
import { openApi } from './api';
import { openCsvSource } from './csv';
import { openDrupal } from './drupal';
import { openJsonFile } from './json-file';
import { openPoi } from './poi';
import type { SourceOpener } from './source';
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
  return openers[sourceType] ?? null;
}

export { SourceError, type OpenedSource, type SourceInput, type SourceRecord } from './source';

// How a run and its images read for a content admin.
import type { StagedImage } from '@contract/images';
import type { RunResponse } from '@contract/runs';
import { statusLabel } from '../../components/StatusBadge';
import { formatBytes, formatDate } from '../../components/format';
import { storedImageUrl } from '../listings/words';
import type { useSourceNames } from '../runs/run-data';

type SourceNames = ReturnType<typeof useSourceNames>;

/** "#12 · Coastal listings CSV (Coastal Nova Scotia) · awaiting review · 3 Mar 2026, 14:05" */
export function runLabel(run: RunResponse, names: SourceNames): string {
  const config = names.configs.find((candidate) => candidate.id === run.config_id);
  const dmo = names.dmoName(run.dmo_id);
  const source = config?.name ? `${config.name} (${dmo})` : dmo;
  return `#${run.id} · ${source} · ${statusLabel(run.status)} · ${formatDate(run.created_at)}`;
}

/** The listing an image belongs to, by its name, or by its id in the source when it has none. */
export const listingOf = (image: StagedImage) => image.listing_name ?? `Record ${image.source_id}`;

/** People count images from 1; the server counts their place in the list from 0. */
export const imageLabel = (image: StagedImage) => `${listingOf(image)}, image ${image.rank + 1}`;

/** "1600 × 1067 · JPEG · 240 KiB" */
export function imageFacts(image: StagedImage): string {
  const size = image.width !== null && image.height !== null ? `${image.width} × ${image.height}` : null;
  return [size, image.format?.toUpperCase() ?? null, image.bytes !== null ? formatBytes(image.bytes) : null]
    .filter((part) => part !== null).join(' · ');
}

/** The small copy the grid shows, or the stored copy itself when no small one was made. */
export const thumbnailUrl = (image: StagedImage) => storedImageUrl(image.variants?.thumb?.url) ?? storedImageUrl(image.canonical_url);

export function refetchDone(images: number): string {
  if (images === 0) return 'No image needed fetching again';
  return `${images} ${images === 1 ? 'image' : 'images'} will be fetched again`;
}

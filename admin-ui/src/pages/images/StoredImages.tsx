// The images of a run that are stored: our own copy of each (never the source's host), its size and
// type, and the ones the site will not show because the listing has the same picture in a better copy.
import { Anchor, Card, Image, Pagination, SimpleGrid, Stack, Text } from '@mantine/core';
import type { StagedImage } from '@contract/images';
import { storedPageSize } from './images-api';
import { storedImageUrl } from '../listings/words';
import { imageFacts, imageLabel, listingOf, thumbnailUrl } from './words';

export function StoredImages({ images, total, page, onPage }: {
  images: StagedImage[]; total: number; page: number; onPage: (page: number) => void;
}) {
  const pages = Math.ceil(total / storedPageSize);
  return (
    <Stack gap="sm">
      <SimpleGrid cols={{ base: 2, sm: 3, md: 4, lg: 5 }} spacing="sm" data-testid="stored-images">
        {images.map((image) => <StoredImage key={image.id} image={image} />)}
      </SimpleGrid>
      {pages > 1 && (
        <Pagination total={pages} value={Math.min(page, pages)} onChange={onPage} size="sm" aria-label="Pages of stored images" />
      )}
    </Stack>
  );
}

function StoredImage({ image }: { image: StagedImage }) {
  const thumb = thumbnailUrl(image);
  const full = storedImageUrl(image.canonical_url);
  const picture = thumb ? (
    <Image src={thumb} alt={imageLabel(image)} h={140} fit="contain" bg="gray.1" radius="sm"
      style={image.duplicate ? { opacity: 0.45 } : undefined} />
  ) : <Text size="xs" c="dimmed" h={140}>No copy to show</Text>;
  return (
    <Card withBorder padding="xs" data-image-id={image.id} data-source-id={image.source_id} data-duplicate={image.duplicate || undefined}>
      <Card.Section>
        {full ? <Anchor href={full} target="_blank" rel="noopener noreferrer" display="block">{picture}</Anchor> : picture}
      </Card.Section>
      <Stack gap={0} mt={6}>
        <Text size="sm" fw={500} truncate="end" title={listingOf(image)}>{listingOf(image)}</Text>
        <Text size="xs" c="dimmed">Image {image.rank + 1} · {image.source_id}</Text>
        <Text size="xs" c="dimmed" data-testid="image-facts">{imageFacts(image)}</Text>
        {image.duplicate && (
          <Text size="xs" c="orange.8" mt={2}>Not shown: same picture as a better copy</Text>
        )}
      </Stack>
    </Card>
  );
}

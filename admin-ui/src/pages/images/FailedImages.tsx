// The images of a run that could not be fetched: whose they are, where the source said they are (as
// text: that address is the source's and may be broken), and why, each with "Fetch again" for people
// who may change runs.
import { Anchor, Button, Code, Pagination, Stack, Table, Text } from '@mantine/core';
import { Link } from 'react-router';
import type { StagedImage } from '@contract/images';
import { failedPageSize } from './images-api';
import { listingOf } from './words';

export function FailedImages({ images, total, page, onPage, onRefetch, refetching }: {
  images: StagedImage[];
  total: number;
  page: number;
  onPage: (page: number) => void;
  /** absent when the user may not, or the run does not allow it now */
  onRefetch?: (image: StagedImage) => void;
  /** the image being sent back just now */
  refetching?: number;
}) {
  const pages = Math.ceil(total / failedPageSize);
  return (
    <Stack gap="sm">
      <Table.ScrollContainer minWidth={800}>
        <Table verticalSpacing="xs" aria-label="Failed images" data-testid="failed-images">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Listing</Table.Th>
              <Table.Th>Where the source said the image is</Table.Th>
              <Table.Th>Why it failed</Table.Th>
              {onRefetch && <Table.Th />}
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {images.map((image) => (
              <Table.Tr key={image.id} data-image-id={image.id} data-source-id={image.source_id}>
                <Table.Td valign="top">
                  <Stack gap={2}>
                    {image.listing_id !== null ? (
                      <Anchor component={Link} to={`/admin/listings/${image.listing_id}`} size="sm" fw={500}>{listingOf(image)}</Anchor>
                    ) : <Text size="sm" fw={500}>{listingOf(image)}</Text>}
                    <Text size="xs" c="dimmed">Image {image.rank + 1} · <Code>{image.source_id}</Code></Text>
                  </Stack>
                </Table.Td>
                <Table.Td valign="top" maw={380}>
                  <Text size="sm" ff="monospace" style={{ wordBreak: 'break-all' }} data-testid="source-url">{image.source_url}</Text>
                </Table.Td>
                <Table.Td valign="top" maw={360}>
                  <Text size="sm" data-testid="failure">{image.failure ?? 'The server gave no reason.'}</Text>
                </Table.Td>
                {onRefetch && (
                  <Table.Td valign="top" ta="right">
                    <Button size="compact-sm" variant="light" loading={refetching === image.id} onClick={() => onRefetch(image)}
                      aria-label={`Fetch image ${image.rank + 1} of ${listingOf(image)} again`}>
                      Fetch again
                    </Button>
                  </Table.Td>
                )}
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      {pages > 1 && (
        <Pagination total={pages} value={Math.min(page, pages)} onChange={onPage} size="sm" aria-label="Pages of failed images" />
      )}
    </Stack>
  );
}

// Where a config's records come from: the import settings of its source type (a CSV's delimiter, a
// workbook's sheet, a WordPress site's address and post type, a Drupal bundle), each with the words
// of the type's own tool, and the config_params key it sets.
import { Button, Group, PasswordInput, Select, SimpleGrid, Switch, TagsInput, Text, TextInput } from '@mantine/core';
import { NumberText } from './fields';
import type { ConfigParams, SourceType } from './model';

type ImportParams = NonNullable<ConfigParams['import']>;
export type ImportParamSetter = <K extends keyof ImportParams & string>(key: K) => {
  error: string | undefined;
  set: (value: ImportParams[K] | undefined) => void;
};

const delimiterOptions = [
  { value: 'auto', label: 'Detect from the first line' },
  { value: ',', label: 'Comma (,)' }, { value: ';', label: 'Semicolon (;)' }, { value: '\t', label: 'Tab' }, { value: '|', label: 'Pipe (|)' },
];
const encodingOptions = [
  { value: 'auto', label: 'Detect (UTF-8, UTF-16 by its mark, else Windows-1252)' },
  { value: 'utf-8', label: 'UTF-8' }, { value: 'windows-1252', label: 'Windows-1252 (Excel on Windows)' }, { value: 'latin1', label: 'Latin-1' },
];

const credentialWords: Record<string, { label: string; description: string }> = {
  application_password: { label: 'Application password', description: 'Made in WordPress under Users → Profile → Application Passwords, for the user above' },
  password: { label: 'Password', description: 'The password of the Drupal user above (HTTP Basic authentication)' },
  api_key: { label: 'API key', description: 'Sent as import.auth says (a header or a query parameter)' },
};

/** Credential changes being edited: a new value, null to remove, or absent to keep what is stored. */
export interface CredentialEdits {
  /** Names the server says are set. */
  stored: string[];
  changes: Record<string, string | null>;
  change: (name: string, value: string | null | undefined) => void;
}

/** A credential: typed once, then shown only as set; stored encrypted, never sent back. */
function CredentialInput({ name, edits }: { name: string; edits: CredentialEdits }) {
  const words = credentialWords[name] ?? { label: name, description: '' };
  const pending = edits.changes[name];
  const stored = edits.stored.includes(name);
  const state = pending === null ? 'Will be removed when you save.' : pending ? 'Will be stored encrypted when you save.'
    : stored ? 'Set (hidden). Type a new one to replace it.' : 'Not set.';
  return (
    <Group align="flex-end" wrap="nowrap">
      <PasswordInput label={words.label} description={`${words.description}. ${state}`} autoComplete="new-password" style={{ flex: 1 }}
        placeholder={stored && pending === undefined ? '••••••••' : ''} value={pending ?? ''}
        onChange={(e) => edits.change(name, e.currentTarget.value || undefined)} />
      {stored && pending !== null && <Button variant="subtle" color="red" onClick={() => edits.change(name, null)}>Remove</Button>}
    </Group>
  );
}

export function SourceSettings({ sourceType, values, param, credentials }: {
  sourceType: SourceType; values: ImportParams; param: ImportParamSetter; credentials: CredentialEdits;
}) {
  const text = <K extends keyof ImportParams & string>(key: K, label: string, description: string, placeholder?: string, required = false) => {
    const field = param(key);
    return (
      <TextInput label={label} description={description} placeholder={placeholder} required={required} error={field.error}
        value={(values[key] as string | undefined) ?? ''} onChange={(e) => field.set(e.currentTarget.value as ImportParams[K])} />
    );
  };
  const number = <K extends keyof ImportParams & string>(key: K, label: string, description: string, placeholder: string) => {
    const field = param(key);
    return <NumberText label={label} description={description} placeholder={placeholder} error={field.error} value={values[key]}
      onValue={(value) => field.set(value as ImportParams[K])} />;
  };
  const siteAddress = (example: string) => text('base_url', 'Site address', `The site's home page, needed to run (import.base_url)`, example);

  switch (sourceType) {
    case 'csv': {
      const delimiter = param('delimiter');
      const encoding = param('encoding');
      return (
        <SimpleGrid cols={2}>
          <Select label="Column separator" data={delimiterOptions} value={values.delimiter ?? 'auto'} allowDeselect={false}
            description="import.delimiter" error={delimiter.error}
            onChange={(value) => delimiter.set(value === 'auto' || !value ? undefined : value)} />
          <Select label="Text encoding" data={encodingOptions} value={values.encoding ?? 'auto'} allowDeselect={false}
            description="import.encoding" error={encoding.error}
            onChange={(value) => encoding.set(value === 'auto' || !value ? undefined : (value as ImportParams['encoding']))} />
        </SimpleGrid>
      );
    }
    case 'json':
      return (
        <SimpleGrid cols={2}>
          {text('records_path', 'Where the records are (optional)',
            'A JSON array or one record per line (NDJSON) needs nothing; for a document such as {"data": {"items": [...]}} write data.items (import.records_path)',
            'data.items')}
        </SimpleGrid>
      );
    case 'xlsx':
      return (
        <SimpleGrid cols={2}>
          {text('sheet', 'Sheet (optional)', 'The sheet to read, by its name on the tab; the first sheet when empty (import.sheet)', 'Listings')}
        </SimpleGrid>
      );
    case 'wordpress': {
      const embed = param('embed');
      return (
        <SimpleGrid cols={2}>
          {siteAddress('https://www.visit-example.org')}
          {text('post_type', 'Post type', 'The REST route of the listings post type: posts, pages, or a custom type such as listings (import.post_type)', 'posts (default)')}
          {number('per_page', 'Posts per request', 'At most 100, WordPress\'s own limit (import.per_page)', '100 (default)')}
          <Switch label="Fetch featured images and terms with each post" checked={values.embed ?? true} error={embed.error}
            description="import.embed (WordPress's _embed)" onChange={(e) => embed.set(e.currentTarget.checked ? undefined : false)} />
          {text('username', 'User (optional)', 'Only for a site that needs signing in: the WordPress user of the application password (import.username)')}
          <CredentialInput name="application_password" edits={credentials} />
        </SimpleGrid>
      );
    }
    case 'drupal': {
      const include = param('include');
      return (
        <SimpleGrid cols={2}>
          {siteAddress('https://www.visit-example.org')}
          {text('bundle', 'Content type (bundle)', 'The machine name of the listings content type, as in /jsonapi/node/<bundle>; needed to run (import.bundle)', 'listing')}
          {text('entity_type', 'Entity type', 'node for content; taxonomy_term or another entity type if the listings live there (import.entity_type)', 'node (default)')}
          {number('page_limit', 'Records per request', 'At most 50, JSON:API\'s own limit (import.page_limit)', '50 (default)')}
          <TagsInput label="Related data to include" description="Relationship fields fetched with each record, e.g. field_image, field_tags (import.include)"
            value={values.include ?? []} error={include.error} onChange={(value) => include.set(value)} />
          {text('username', 'User (optional)', 'Only for a site that needs signing in (import.username)')}
          <CredentialInput name="password" edits={credentials} />
        </SimpleGrid>
      );
    }
    case 'api':
      return (
        <SimpleGrid cols={2}>
          {text('base_url', 'First page address', 'The URL of the API\'s first page of records (import.base_url)', 'https://api.example.com/v2/hotels')}
          {text('records_path', 'Where the records are in a page', 'A dotted path such as data.hotels; empty when the page is the list (import.records_path)', 'data.hotels')}
          <CredentialInput name="api_key" edits={credentials} />
          <Text size="sm" c="dimmed">Pagination (import.pagination), how the key is sent (import.auth) and the rate are set in Advanced (JSON).</Text>
        </SimpleGrid>
      );
    case 'website': {
      const list = param('list');
      const next = param('next');
      const listValue = values.list ?? { item: '' };
      const nextValue = values.next ?? {};
      const setList = (change: Partial<NonNullable<ImportParams['list']>>) => {
        const merged = Object.fromEntries(Object.entries({ ...listValue, ...change }).filter(([, v]) => v !== '' && v !== undefined));
        list.set(Object.keys(merged).length ? (merged as NonNullable<ImportParams['list']>) : undefined);
      };
      const setNext = (change: Partial<NonNullable<ImportParams['next']>>) => {
        const merged = Object.fromEntries(Object.entries({ ...nextValue, ...change }).filter(([, v]) => v !== '' && v !== undefined));
        next.set(Object.keys(merged).length ? merged : undefined);
      };
      return (
        <SimpleGrid cols={2}>
          {text('base_url', 'First list page', 'The page listing the places (import.base_url)', 'https://www.visit-example.org/places')}
          <TextInput label="Each listing on a list page" description="A CSS selector (import.list.item)" placeholder="article.listing"
            value={listValue.item ?? ''} error={list.error} onChange={(e) => setList({ item: e.currentTarget.value })} />
          <TextInput label="Link to its detail page (optional)" description="Inside each listing; the fields are then read on that page (import.list.link)"
            placeholder="a.more" value={listValue.link ?? ''} onChange={(e) => setList({ link: e.currentTarget.value })} />
          <TextInput label="Next page link" description="A CSS selector (import.next.link), or use a page pattern" placeholder='a[rel="next"]'
            value={nextValue.link ?? ''} error={next.error} onChange={(e) => setNext({ link: e.currentTarget.value })} />
          <TextInput label="Or: page pattern" description="A URL with {page} in it, counted from 1 (import.next.page_pattern)"
            placeholder="https://www.visit-example.org/places?page={page}" value={nextValue.page_pattern ?? ''}
            onChange={(e) => setNext({ page_pattern: e.currentTarget.value })} />
          {number('rate_per_sec', 'Requests per second to the site', 'Shared by every worker (import.rate_per_sec); robots.txt\'s Crawl-delay can only lower it', '1 (default)')}
          {number('concurrency', 'Requests at a time to the site', 'import.concurrency', '2 (default)')}
          <Text size="sm" c="dimmed">The selector of each field (import.fields: name, address, images…) is set in Advanced (JSON). robots.txt is always obeyed.</Text>
        </SimpleGrid>
      );
    }
    case 'poi': {
      const format = param('format');
      return (
        <SimpleGrid cols={2}>
          {text('base_url', 'Data set address (optional)', 'A GeoJSON or POI export to fetch at each run; empty: you upload the file each time (import.base_url)', 'https://data.example.org/pois.geojson')}
          <Select label="Format" data={[{ value: 'auto', label: 'Tell from the content' }, { value: 'geojson', label: 'GeoJSON' }, { value: 'json', label: 'JSON list' }, { value: 'csv', label: 'CSV' }]}
            value={values.format ?? 'auto'} allowDeselect={false} description="import.format" error={format.error}
            onChange={(value) => format.set(value === 'auto' || !value ? undefined : (value as ImportParams['format']))} />
        </SimpleGrid>
      );
    }
  }
}

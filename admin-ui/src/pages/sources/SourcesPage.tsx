import { Title } from '@mantine/core';

export default function SourcesPage() {
  return <Title order={2}>Sources</Title>;
}

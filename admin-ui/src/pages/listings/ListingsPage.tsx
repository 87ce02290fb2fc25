import { Title } from '@mantine/core';

export default function ListingsPage() {
  return <Title order={2}>Listings</Title>;
}

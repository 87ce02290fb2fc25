import { Title } from '@mantine/core';

export default function ReviewPage() {
  return <Title order={2}>Review</Title>;
}

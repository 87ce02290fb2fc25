// What a person sees when a page cannot be shown: no access, no such page, or the server's message.
import { Alert, Button, Container, Stack, Text, Title } from '@mantine/core';
import { Link, useRouteError } from 'react-router';
import { ApiError } from './api';

export function Forbidden({ permission }: { permission: string }) {
  return (
    <Container size="sm" py="xl">
      <Title order={3}>You do not have access to this page</Title>
      <Text mt="sm">It needs the permission <b>{permission}</b>, which your roles do not grant. Ask an administrator if you need it.</Text>
    </Container>
  );
}

export function RouteError({ notFound }: { notFound?: boolean }) {
  const error = useRouteError();
  const message = notFound ? 'There is no page at this address.' : error instanceof Error ? error.message : 'Something went wrong.';
  return (
    <Container size="sm" py="xl">
      <Stack>
        <Title order={3}>{notFound || (error instanceof ApiError && error.status === 404) ? 'Not found' : 'This page could not be shown'}</Title>
        <Alert color={notFound ? 'gray' : 'red'}>{message}</Alert>
        <Button component={Link} to="/admin" variant="light" w="fit-content">Back to the start page</Button>
      </Stack>
    </Container>
  );
}

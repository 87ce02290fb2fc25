// My account, for everyone signed in: who I am and what my roles let me do, a new password, and my API
// tokens for scripts (a new token is shown once, then only its name is kept).
import { Badge, Card, Grid, Group, Stack, Table, Text, Title } from '@mantine/core';
import { useSession } from '../../app/auth';
import { permissionWords } from '../../components/permission-words';
import { PasswordForm } from './PasswordForm';
import { TokensCard } from './TokensCard';

export default function AccountPage() {
  const session = useSession();
  const { user } = session;

  return (
    <Stack>
      <Title order={2}>My account</Title>
      <Card withBorder>
        <Title order={4} mb="xs">Who I am</Title>
        <Table withRowBorders={false} verticalSpacing={4}>
          <Table.Tbody>
            <Table.Tr><Table.Td w={160}><Text size="sm" c="dimmed">Email</Text></Table.Td><Table.Td data-testid="account-email">{user.email}</Table.Td></Table.Tr>
            <Table.Tr><Table.Td><Text size="sm" c="dimmed">Name</Text></Table.Td><Table.Td>{user.name ?? '–'}</Table.Td></Table.Tr>
            <Table.Tr>
              <Table.Td><Text size="sm" c="dimmed">Roles</Text></Table.Td>
              <Table.Td>
                <Group gap={4}>
                  {user.roles.length ? user.roles.map((role) => <Badge key={role} variant="light" tt="none">{role}</Badge>)
                    : <Text size="sm">none yet: ask an administrator for the role you need</Text>}
                </Group>
              </Table.Td>
            </Table.Tr>
            <Table.Tr>
              <Table.Td valign="top"><Text size="sm" c="dimmed">I may</Text></Table.Td>
              <Table.Td>
                {user.permissions.length ? (
                  <Stack gap={2} data-testid="account-permissions">
                    {user.permissions.map((permission) => (
                      <Text size="sm" key={permission}>
                        {permissionWords[permission]} <Text span size="xs" c="dimmed">({permission})</Text>
                      </Text>
                    ))}
                  </Stack>
                ) : <Text size="sm">only see this page</Text>}
              </Table.Td>
            </Table.Tr>
          </Table.Tbody>
        </Table>
      </Card>
      <Grid>
        <Grid.Col span={{ base: 12, lg: 7 }}><TokensCard /></Grid.Col>
        <Grid.Col span={{ base: 12, lg: 5 }}><PasswordForm /></Grid.Col>
      </Grid>
    </Stack>
  );
}

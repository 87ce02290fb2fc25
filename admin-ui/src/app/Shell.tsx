// The frame around every signed-in page: top bar with the user and sign-out, sidebar by section.
// Links a user may not follow are not shown.
import type { ReactNode } from 'react';
import { AppShell, Burger, Group, Menu, NavLink, ScrollArea, Text, Title, UnstyledButton } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { NavLink as RouterLink, Outlet, useLocation } from 'react-router';
import { useSession } from './auth';
import type { NavItem, NavSection } from './page-module';
import { pageModules } from './registry';

const sections: NavSection[] = ['Pipeline', 'Administration', 'Account'];

/** The one link the address belongs to: a link that claims it (activeOn) first, else the longest prefix. */
function activeLink(items: NavItem[], pathname: string): NavItem | undefined {
  const claimed = items.find((item) => item.activeOn?.test(pathname));
  if (claimed) return claimed;
  return items
    .filter((item) => !item.external && (pathname === item.to || pathname.startsWith(`${item.to}/`)))
    .sort((a, b) => b.to.length - a.to.length)[0];
}

function SidebarLink({ item, active }: { item: NavItem; active: boolean }) {
  if (item.external) return <NavLink component="a" href={item.to} label={item.label} rightSection={<Text size="xs">↗</Text>} />;
  return <NavLink component={RouterLink} to={item.to} label={item.label} active={active} />;
}

export function Shell({ children }: { children?: ReactNode }) {
  const session = useSession();
  const [opened, { toggle }] = useDisclosure();
  const items = pageModules.flatMap((page) => page.nav ?? []).filter((item) => !item.permission || session.can(item.permission));
  const active = activeLink(items, useLocation().pathname);

  return (
    <AppShell header={{ height: 56 }} navbar={{ width: 230, breakpoint: 'sm', collapsed: { mobile: !opened } }} padding="md">
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between">
          <Group gap="sm">
            <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label="Menu" />
            <Title order={4}>Listings pipeline</Title>
          </Group>
          <Menu position="bottom-end" withinPortal>
            <Menu.Target>
              <UnstyledButton data-testid="user-menu">
                <Text size="sm" fw={500}>{session.user.name || session.user.email}</Text>
              </UnstyledButton>
            </Menu.Target>
            <Menu.Dropdown>
              <Menu.Label>{session.user.roles.join(', ') || 'no roles'}</Menu.Label>
              <Menu.Item component={RouterLink} to="/admin/account">My account</Menu.Item>
              <Menu.Item onClick={() => void session.signOut()}>Sign out</Menu.Item>
            </Menu.Dropdown>
          </Menu>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs">
        <ScrollArea>
          {sections.map((section) => {
            const links = items.filter((item) => item.section === section);
            if (!links.length) return null;
            return (
              <nav key={section} aria-label={section}>
                <Text size="xs" c="dimmed" tt="uppercase" fw={700} px="sm" pt="sm" pb={4}>{section}</Text>
                {links.map((item) => <SidebarLink key={item.to} item={item} active={item === active} />)}
              </nav>
            );
          })}
        </ScrollArea>
      </AppShell.Navbar>
      <AppShell.Main>{children ?? <Outlet />}</AppShell.Main>
    </AppShell>
  );
}

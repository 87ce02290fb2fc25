// Who is signed in, for every page: the user from /auth/me, what they may do, and sign-out. When the
// server says the session is gone, the user is sent to sign in and then back to where they were.
import { createContext, useContext, useEffect, type ReactNode } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { Navigate, useLocation, useNavigate } from 'react-router';
import { Center, Loader } from '@mantine/core';
import type { Permission } from '@contract/permissions';
import { api, ApiError, onSessionExpired } from './api';

export interface SessionUser {
  id: number;
  email: string;
  name: string | null;
  roles: string[];
  permissions: Permission[];
}

interface Session {
  user: SessionUser;
  can(permission: Permission): boolean;
  signOut(): Promise<void>;
}

const SessionContext = createContext<Session | null>(null);
export const meKey = ['auth', 'me'] as const;

/** The place to come back to after signing in: only paths of this app, never another site. */
export function safeNext(next: string | null): string {
  if (!next || !next.startsWith('/admin') || next.startsWith('//') || next.includes('\\') || next.startsWith('/admin/sign-in')) {
    return '/admin/runs';
  }
  return next;
}

export function signInPath(location: { pathname: string; search: string }): string {
  return `/admin/sign-in?next=${encodeURIComponent(`${location.pathname}${location.search}`)}`;
}

export function RequireSession({ children }: { children: ReactNode }) {
  const location = useLocation();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const me = useQuery({
    queryKey: meKey,
    queryFn: () => api.get<{ user: SessionUser }>('/api/v1/auth/me'),
    retry: false,
    staleTime: 60_000,
  });

  // every page change asks the server again, so an ended session is noticed even on a page that loads nothing
  const { refetch } = me;
  useEffect(() => void refetch(), [location.pathname, refetch]);

  useEffect(
    () =>
      onSessionExpired(() => {
        // several requests in flight all get the 401: the first one sends the user to sign in, once
        if (window.location.pathname.startsWith('/admin/sign-in')) return;
        queryClient.removeQueries({ queryKey: meKey });
        navigate(signInPath(window.location.pathname.startsWith('/admin') ? window.location : location), { replace: true });
      }),
    [navigate, queryClient, location],
  );

  if (me.isPending) {
    return (
      <Center h="100vh">
        <Loader aria-label="Loading" />
      </Center>
    );
  }
  if (me.error) {
    if (me.error instanceof ApiError && me.error.status === 401) return <Navigate to={signInPath(location)} replace />;
    throw me.error;
  }
  const user = me.data.user;
  const session: Session = {
    user,
    can: (permission) => user.permissions.includes(permission),
    async signOut() {
      await api.post('/api/v1/auth/logout');
      queryClient.clear();
      navigate('/admin/sign-in', { replace: true });
    },
  };
  return <SessionContext.Provider value={session}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside RequireSession');
  return session;
}

/** Shows its children only to users with the permission: actions a user may not take are not offered. */
export function IfAllowed({ permission, children }: { permission: Permission; children: ReactNode }) {
  return useSession().can(permission) ? <>{children}</> : null;
}

// Providers and the router: /admin/sign-in outside the shell, every page module's routes inside it.
import { lazy, Suspense, type ComponentType } from 'react';
import { Center, Loader, MantineProvider, createTheme } from '@mantine/core';
import { Notifications } from '@mantine/notifications';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { createBrowserRouter, Navigate, RouterProvider, type RouteObject } from 'react-router';
import { ApiError } from './api';
import { RequireSession, useSession } from './auth';
import { Forbidden, RouteError } from './errors';
import type { PageRoute } from './page-module';
import { pageModules } from './registry';
import { Shell } from './Shell';
import { SignInPage } from './SignInPage';

const theme = createTheme({ primaryColor: 'indigo', defaultRadius: 'sm' });

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      // a 4xx will not get better by asking again
      retry: (count, error) => !(error instanceof ApiError && error.status >= 400 && error.status < 500) && count < 2,
      refetchOnWindowFocus: false,
    },
  },
});

const lazyPages = new Map<PageRoute['load'], ComponentType>();
function pageComponent(route: PageRoute): ComponentType {
  let component = lazyPages.get(route.load);
  if (!component) lazyPages.set(route.load, (component = lazy(route.load)));
  return component;
}

function Guarded({ route }: { route: PageRoute }) {
  const session = useSession();
  if (route.permission && !session.can(route.permission)) return <Forbidden permission={route.permission} />;
  const Page = pageComponent(route);
  return (
    <Suspense fallback={<Center py="xl"><Loader aria-label="Loading" /></Center>}>
      <Page />
    </Suspense>
  );
}

function Home() {
  return <Navigate to={useSession().can('pipeline:read') ? '/admin/runs' : '/admin/account'} replace />;
}

const routes: RouteObject[] = [
  { path: '/admin/sign-in', element: <SignInPage />, errorElement: <RouteError /> },
  {
    path: '/admin',
    element: <RequireSession><Shell /></RequireSession>,
    errorElement: <RouteError />,
    children: [
      { index: true, element: <Home /> },
      ...pageModules.flatMap((page) => page.routes).map((route) => ({
        path: route.path, element: <Guarded route={route} />, errorElement: <RouteError />,
      })),
      { path: '*', element: <RouteError notFound /> },
    ],
  },
  { path: '*', element: <Navigate to="/admin" replace /> },
];

const router = createBrowserRouter(routes);

export function App() {
  return (
    <MantineProvider theme={theme}>
      <Notifications position="top-right" />
      <QueryClientProvider client={queryClient}>
        <RouterProvider router={router} />
      </QueryClientProvider>
    </MantineProvider>
  );
}

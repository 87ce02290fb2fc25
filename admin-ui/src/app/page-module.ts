// A page of the admin UI is one folder under pages/ exporting a PageModule: its routes (lazy, so a
// page's code loads when it is opened) and its links in the sidebar. app/registry.ts lists them.
import type { ComponentType } from 'react';
import type { Permission } from '@contract/permissions';

export interface PageRoute {
  /** Below /admin/, e.g. "runs/:id". */
  path: string;
  /** Who may open it; the server checks again on every request. */
  permission?: Permission;
  load: () => Promise<{ default: ComponentType }>;
}

export type NavSection = 'Pipeline' | 'Administration' | 'Account';

export interface NavItem {
  label: string;
  to: string;
  section: NavSection;
  permission?: Permission;
  /** A page served outside the app (Bull Board). */
  external?: boolean;
  /** Other addresses this link stands for, e.g. a run's review under /admin/runs/… */
  activeOn?: RegExp;
}

export interface PageModule {
  routes: PageRoute[];
  nav?: NavItem[];
}

// Runs: the list of every run with live progress, and one run's page (files, errors, actions, upload).
import type { PageModule } from '../../app/page-module';

export const runsPage: PageModule = {
  routes: [
    { path: 'runs', permission: 'pipeline:read', load: () => import('./RunsListPage') },
    { path: 'runs/:id', permission: 'pipeline:read', load: () => import('./RunPage') },
  ],
  nav: [{ label: 'Runs', to: '/admin/runs', section: 'Pipeline', permission: 'pipeline:read' }],
};

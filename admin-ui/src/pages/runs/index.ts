import type { PageModule } from '../../app/page-module';

export const runsPage: PageModule = {
  routes: [{ path: 'runs', permission: 'pipeline:read', load: () => import('./RunsPage') }],
  nav: [{ label: 'Runs', to: '/admin/runs', section: 'Pipeline', permission: 'pipeline:read' }],
};

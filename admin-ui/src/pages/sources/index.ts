import type { PageModule } from '../../app/page-module';

export const sourcesPage: PageModule = {
  routes: [{ path: 'sources', permission: 'pipeline:read', load: () => import('./SourcesPage') }],
  nav: [{ label: 'Sources', to: '/admin/sources', section: 'Pipeline', permission: 'pipeline:read' }],
};

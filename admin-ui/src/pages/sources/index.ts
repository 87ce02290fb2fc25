import type { PageModule } from '../../app/page-module';

// one component for both: the config dialog opens over the tables at its own address
const load = () => import('./SourcesPage');

export const sourcesPage: PageModule = {
  routes: [
    { path: 'sources', permission: 'pipeline:read', load },
    // "new" or a config id; changing a config needs pipeline:write
    { path: 'sources/configs/:id', permission: 'pipeline:write', load },
  ],
  nav: [{ label: 'Sources', to: '/admin/sources', section: 'Pipeline', permission: 'pipeline:read' }],
};

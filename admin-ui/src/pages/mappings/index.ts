// Mappings: which DMO record feeds which listing, the links that conflict, and fixing a wrong match
// (move a record to another listing, or give it one of its own).
import type { PageModule } from '../../app/page-module';

export const mappingsPage: PageModule = {
  routes: [{ path: 'mappings', permission: 'pipeline:read', load: () => import('./MappingsPage') }],
  nav: [{ label: 'Mappings', to: '/admin/mappings', section: 'Pipeline', permission: 'pipeline:read' }],
};

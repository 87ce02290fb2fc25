import type { PageModule } from '../../app/page-module';

export const listingsPage: PageModule = {
  routes: [{ path: 'listings', permission: 'pipeline:read', load: () => import('./ListingsPage') }],
  nav: [{ label: 'Listings', to: '/admin/listings', section: 'Pipeline', permission: 'pipeline:read' }],
};

import type { PageModule } from '../../app/page-module';

export const listingsPage: PageModule = {
  routes: [
    { path: 'listings', permission: 'pipeline:read', load: () => import('./ListingsPage') },
    { path: 'listings/:id', permission: 'pipeline:read', load: () => import('./ListingPage') },
  ],
  nav: [{ label: 'Listings', to: '/admin/listings', section: 'Pipeline', permission: 'pipeline:read' }],
};

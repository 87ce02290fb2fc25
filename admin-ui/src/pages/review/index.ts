import type { PageModule } from '../../app/page-module';

export const reviewPage: PageModule = {
  routes: [{ path: 'review', permission: 'pipeline:read', load: () => import('./ReviewPage') }],
  nav: [{ label: 'Review', to: '/admin/review', section: 'Pipeline', permission: 'pipeline:read' }],
};

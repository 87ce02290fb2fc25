import type { PageModule } from '../../app/page-module';

export const reviewPage: PageModule = {
  routes: [
    { path: 'review', permission: 'pipeline:read', load: () => import('./ReviewPage') },
    { path: 'runs/:id/review', permission: 'pipeline:read', load: () => import('./RunReviewPage') },
  ],
  nav: [{ label: 'Review', to: '/admin/review', section: 'Pipeline', permission: 'pipeline:read', activeOn: /^\/admin\/runs\/\d+\/review/ }],
};

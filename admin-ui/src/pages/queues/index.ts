// Bull Board is its own app at /admin/queues, behind the same login (read-only without pipeline:queues).
import type { PageModule } from '../../app/page-module';

export const queuesPage: PageModule = {
  routes: [],
  nav: [{ label: 'Queues (Bull Board)', to: '/admin/queues', section: 'Pipeline', permission: 'pipeline:read', external: true }],
};

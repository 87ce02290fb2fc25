// Metrics: charts of runs, records, error rates, throughput, queues and cost over 7, 30 or 90 days.
import type { PageModule } from '../../app/page-module';

export const metricsPage: PageModule = {
  routes: [{ path: 'metrics', permission: 'pipeline:read', load: () => import('./MetricsPage') }],
  nav: [{ label: 'Metrics', to: '/admin/metrics', section: 'Pipeline', permission: 'pipeline:read' }],
};

// Images: the pictures of a run's listings, the ones stored (as the site will show them) and the ones
// that could not be fetched, with why, and fetching them again.
import type { PageModule } from '../../app/page-module';

// one page for both addresses, so choosing a run keeps the page as it is and only loads the run
const load = () => import('./ImagesPage');

export const imagesPage: PageModule = {
  routes: [
    { path: 'images', permission: 'pipeline:read', load },
    { path: 'images/:runId', permission: 'pipeline:read', load },
  ],
  nav: [{ label: 'Images', to: '/admin/images', section: 'Pipeline', permission: 'pipeline:read' }],
};

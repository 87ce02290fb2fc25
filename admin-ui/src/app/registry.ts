// Every page of the admin UI. Adding a page: a folder under pages/ and one line here.
import type { PageModule } from './page-module';
import { accountPage } from '../pages/account';
import { imagesPage } from '../pages/images';
import { listingsPage } from '../pages/listings';
import { mappingsPage } from '../pages/mappings';
import { metricsPage } from '../pages/metrics';
import { queuesPage } from '../pages/queues';
import { reviewPage } from '../pages/review';
import { runsPage } from '../pages/runs';
import { sourcesPage } from '../pages/sources';
import { usersPage } from '../pages/users';

export const pageModules: PageModule[] = [sourcesPage, runsPage, reviewPage, listingsPage, mappingsPage, imagesPage, metricsPage, queuesPage, usersPage, accountPage];

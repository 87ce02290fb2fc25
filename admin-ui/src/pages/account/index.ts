import type { PageModule } from '../../app/page-module';

export const accountPage: PageModule = {
  routes: [{ path: 'account', load: () => import('./AccountPage') }],
  nav: [{ label: 'My account', to: '/admin/account', section: 'Account' }],
};

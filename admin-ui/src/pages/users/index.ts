import type { PageModule } from '../../app/page-module';

export const usersPage: PageModule = {
  routes: [{ path: 'users', permission: 'users:admin', load: () => import('./UsersPage') }],
  nav: [{ label: 'Users', to: '/admin/users', section: 'Administration', permission: 'users:admin' }],
};

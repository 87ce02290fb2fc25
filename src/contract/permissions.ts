// Permissions and role names for the server and the admin UI alike (the UI hides what a user may not do).
export { permissions, roleNames, type Permission, type RoleName } from '../auth/permissions';

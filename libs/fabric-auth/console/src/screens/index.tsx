import type { JSX } from 'preact';
import { Audit } from './audit';
import { RoleDetail, Roles } from './roles';
import { ServiceAccountDetail, ServiceAccounts } from './service-accounts';
import { UserDetail } from './user-detail';
import { OrgDetail } from './org-detail';
import { Organizations } from './orgs';
import { Users } from './users';
import { WebhookDetail, Webhooks } from './webhooks';

/**
 * The signed-in screens, one file each. A screen with `nav` appears in the navigation; with
 * `permission`, only for a person holding it (the API refuses the others anyway). To add one:
 * its file here, and an entry below.
 */
export interface Screen {
  path: string;
  permission?: string;
  /** An optional feature the screen needs on the server (the page's `data-features`): shown only when it is on. */
  feature?: string;
  nav?: string;
  render(params: Record<string, string>, features: ReadonlySet<string>): JSX.Element;
}

export const SCREENS: readonly Screen[] = [
  { path: '/users', nav: 'Users', permission: 'users:list', render: () => <Users /> },
  { path: '/users/:username', permission: 'users:read', render: (p) => <UserDetail username={p.username} /> },
  { path: '/service-accounts', nav: 'Service accounts', permission: 'service_accounts:read', render: () => <ServiceAccounts /> },
  { path: '/service-accounts/:id', permission: 'service_accounts:read', render: (p) => <ServiceAccountDetail id={p.id} /> },
  { path: '/roles', nav: 'Roles', permission: 'roles:read', render: () => <Roles /> },
  { path: '/roles/:name', permission: 'roles:read', render: (p) => <RoleDetail name={p.name} /> },
  { path: '/audit', nav: 'Audit log', permission: 'audit:read', render: () => <Audit /> },
  { path: '/orgs', nav: 'Organizations', feature: 'organizations', render: (_, f) => <Organizations selfService={f.has('organizations_self_service')} /> },
  { path: '/orgs/:org', feature: 'organizations', render: (p, f) => <OrgDetail org={p.org} features={f} /> },
  { path: '/webhooks', nav: 'Webhooks', permission: 'webhooks:read', feature: 'webhooks', render: () => <Webhooks /> },
  { path: '/webhooks/:id', permission: 'webhooks:read', feature: 'webhooks', render: (p) => <WebhookDetail id={p.id} /> },
];

import type { ApiRole } from './roles';

/** 'public': no credentials at all; otherwise the least role that may call the route (roles.ts). */
export type RouteAccess = 'public' | ApiRole;

/**
 * Who may call each route — the one place access is declared. Keys are "METHOD /path" as the
 * controllers register them. The API refuses to start when a controller route is missing here
 * (RouteAccessCheck), the access guard refuses a request to a route it cannot find (403), and
 * test/routes-auth.e2e-spec.ts calls every route with every role against this table.
 */
export const ROUTE_ACCESS: Readonly<Record<string, RouteAccess>> = {
  // Probes: no data beyond up/down and counts.
  'GET /health': 'public',

  // Exchanging a key for a JWT: any key, and the token carries that key's role.
  'POST /auth/token': 'read',

  // Findings, summaries, capture and session metadata: secrets masked.
  'GET /alerts': 'read',
  'GET /alerts/:id': 'read',
  'GET /captures': 'read',
  'GET /captures/:id': 'read',
  'GET /data': 'read',
  'GET /network_stats': 'read',
  'GET /events': 'read',
  'GET /intel/feeds': 'read',
  'GET /live': 'read',
  'GET /live/interfaces': 'read',
  'GET /live/:id': 'read',

  // Raw packets (cleartext credentials the API otherwise masks), and uploads, which make the
  // server work and store data.
  'GET /alerts/:id/pcap': 'analyst',
  'GET /captures/:id/pcap': 'analyst',
  'POST /captures': 'analyst',

  // Keys, deletes, feeds, and acting on the network.
  'POST /auth/keys': 'admin',
  'GET /auth/keys': 'admin',
  'DELETE /auth/keys/:id': 'admin',
  'DELETE /captures/:id': 'admin',
  'POST /intel/feeds': 'admin',
  'DELETE /intel/feeds/:name': 'admin',
  'POST /intel/feeds/:name/refresh': 'admin',
  'POST /live': 'admin',
  'POST /live/:id/stop': 'admin',
};

/** The access of a route by its method and registered path; undefined when it is not declared. */
export function routeAccess(method: string, path: string): RouteAccess | undefined {
  // Express answers HEAD with the GET route.
  const key = `${method === 'HEAD' ? 'GET' : method} ${path}`;
  return Object.hasOwn(ROUTE_ACCESS, key) ? ROUTE_ACCESS[key] : undefined;
}

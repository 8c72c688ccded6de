/**
 * API key roles, least to most: each may do everything the ones before it may.
 * - read: findings, statistics, capture metadata — secrets masked (dashboards, integrations);
 * - analyst: read + raw packets (capture and evidence pcaps, which hold cleartext credentials)
 *   + uploading captures (makes the server work and store data);
 * - admin: everything (keys, feeds, deletes, live capture, blocking).
 * Which route needs which role: route-access.ts.
 */
export const API_ROLES = ['read', 'analyst', 'admin'] as const;

export type ApiRole = (typeof API_ROLES)[number];

export function isApiRole(value: unknown): value is ApiRole {
  return (API_ROLES as readonly unknown[]).includes(value);
}

/** Does a key of role `have` reach a route that needs `need`? An unknown stored role reaches nothing. */
export function roleReaches(have: string, need: ApiRole): boolean {
  const rank = API_ROLES.indexOf(have as ApiRole);
  return rank >= 0 && rank >= API_ROLES.indexOf(need);
}

/** The roles that reach `need`, for messages: "analyst or admin". */
export function rolesReaching(need: ApiRole): string {
  return API_ROLES.slice(API_ROLES.indexOf(need)).join(' or ');
}

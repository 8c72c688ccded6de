import type { ApiRole } from './api-key.entity';

/** Who is calling: the API key behind the request, however it was presented. */
export interface Principal {
  keyId: string;
  role: ApiRole;
  /** 'api-key' = X-API-Key header (or the token route's body); 'jwt' = a bearer token. */
  via: 'api-key' | 'jwt';
}

/** Where the access guard leaves the principal on the request. */
export interface AuthenticatedRequest {
  principal?: Principal;
}

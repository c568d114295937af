import { useQuery } from '@tanstack/react-query';
import { useSyncExternalStore } from 'react';
import { tokenStore } from '../api/token.store';
import { getCurrentUser } from './auth.api';

/** True while this browser holds an access token (it may still be refreshed on first 401). */
export function useIsAuthenticated(): boolean {
  return useSyncExternalStore(
    tokenStore.subscribe,
    () => tokenStore.getAccessToken() !== null,
    () => false,
  );
}

export function useCurrentUser() {
  const authenticated = useIsAuthenticated();
  return useQuery({ queryKey: ['me'], queryFn: getCurrentUser, enabled: authenticated, staleTime: 5 * 60_000 });
}

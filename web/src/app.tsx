import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { useEffect, useState, type ReactNode } from 'react';
import { BrowserRouter, Navigate, Route, Routes, useLocation } from 'react-router';
import { ApiError } from './api/api.error';
import { LoginPage } from './auth/login.page';
import { useIsAuthenticated } from './auth/session';
import { CollectionDetailsPage } from './collections/collection-details.page';
import { CollectionsPage } from './collections/collections.page';
import { Layout } from './components/layout';
import { ToastProvider } from './components/toast';
import { SearchPage } from './search/search.page';
import { SettingsPage } from './settings/settings.page';

export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        // A 4xx will not change on retry; only network errors and 5xx are worth another try.
        retry: (failureCount, error) => failureCount < 2 && !(error instanceof ApiError && error.status < 500),
        refetchOnWindowFocus: false,
        staleTime: 10_000,
      },
    },
  });
}

function RequireAuth({ children }: { children: ReactNode }) {
  const authenticated = useIsAuthenticated();
  const location = useLocation();
  if (!authenticated) return <Navigate to="/login" replace state={{ from: location.pathname }} />;
  return children;
}

/** Drops cached data for the previous user when the session ends (logout or failed refresh). */
function ClearCacheOnSignOut({ client }: { client: QueryClient }) {
  const authenticated = useIsAuthenticated();
  useEffect(() => {
    if (!authenticated) client.clear();
  }, [authenticated, client]);
  return null;
}

export function AppRoutes() {
  return (
    <Routes>
      <Route path="/login" element={<LoginPage />} />
      <Route
        element={
          <RequireAuth>
            <Layout />
          </RequireAuth>
        }
      >
        <Route index element={<CollectionsPage />} />
        <Route path="collections/:collectionId" element={<CollectionDetailsPage />} />
        <Route path="search" element={<SearchPage />} />
        <Route path="settings" element={<SettingsPage />} />
        <Route path="*" element={<Navigate to="/" replace />} />
      </Route>
    </Routes>
  );
}

export function App() {
  const [client] = useState(createQueryClient);
  return (
    <QueryClientProvider client={client}>
      <ToastProvider>
        <BrowserRouter>
          <ClearCacheOnSignOut client={client} />
          <AppRoutes />
        </BrowserRouter>
      </ToastProvider>
    </QueryClientProvider>
  );
}

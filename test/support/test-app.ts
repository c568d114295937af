/**
 * Test helpers for the HTTP specs (in test/support: never built, and no test pattern matches the name).
 * One app per spec file over a database cloned from the migrated template.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { createServerTestDatabase, uniqueName, type TestDatabase } from './test-databases.js';
import { InProcessOperationEventBus } from '../../src/operations/operation-events.js';
import { createLogger } from '../../src/shared/logger.js';
import { hashPassword } from '../../src/auth/password.hasher.js';
import { repositoriesFor } from '../../src/db/repositories.js';
import { inUnitOfWork } from '../../src/db/unit-of-work.js';
import { createUser } from '../../src/users/user.service.js';
import { buildApp } from '../../src/http/app.js';

export const TEST_JWT_SECRET = 'test-secret-0123456789-abcdefghijklmnopqrstuvwxyz';

export interface TestApp {
  app: FastifyInstance;
  testDb: TestDatabase;
  eventBus: InProcessOperationEventBus;
  /** A real folder allowed as a document root (SEMANTIK_DOCUMENT_ROOTS). */
  documentRoot: string;
  dispose(): Promise<void>;
}

export async function createTestApp(
  options: { env?: Record<string, string>; beforeReady?: (app: FastifyInstance) => void | Promise<void> } = {},
): Promise<TestApp> {
  const documentRoot = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'semantik-http-root-')));
  const testDb = await createServerTestDatabase({
    JWT_SECRET_KEY: TEST_JWT_SECRET,
    SEMANTIK_DOCUMENT_ROOTS: documentRoot,
    DEFAULT_EMBEDDING_MODEL: 'deterministic-hash-384',
    ...options.env,
  });
  const eventBus = new InProcessOperationEventBus();
  const app = await buildApp({ config: testDb.config, database: testDb.database, logger: createLogger('silent'), eventBus, webRoot: null, failOnDroppedResponseFields: true });
  await options.beforeReady?.(app);
  await app.ready();
  return {
    app,
    testDb,
    eventBus,
    documentRoot,
    dispose: async () => {
      await app.close();
      await eventBus.close();
      await testDb.dispose();
      fs.rmSync(documentRoot, { recursive: true, force: true });
    },
  };
}

export interface TestUser {
  id: number;
  username: string;
  password: string;
  access: string;
  refresh: string;
  auth: { authorization: string };
}

/**
 * A signed-in user. The first one of an app signs up through POST /api/auth/register (the README's
 * first run: it becomes the superuser); later ones are created the way an administrator does when
 * registration is closed (the default) — createUser, as POST /api/v2/admin/users — and granted
 * `documentRoots` (default: the whole test document root, so they may add sources as before).
 */
export async function registerAndLogin(app: FastifyInstance, prefix = 'user', options: { documentRoots?: string[] | null } = {}): Promise<TestUser> {
  const username = uniqueName(prefix).replace(/[^\w.@-]/g, '_');
  const password = `pw-${username}`;
  const email = `${username}@example.test`;
  const { database, config } = app.deps;
  const isFirst = (await inUnitOfWork(database, (tx) => repositoriesFor(tx).users.count(), { readOnly: true })) === 0;
  let id: number;
  if (isFirst) {
    const registered = await app.inject({ method: 'POST', url: '/api/auth/register', payload: { username, email, password } });
    if (registered.statusCode !== 201) throw new Error(`register failed: ${registered.statusCode} ${registered.body}`);
    id = (registered.json() as { id: number }).id;
  } else {
    const hashedPassword = await hashPassword(password);
    const documentRoots = options.documentRoots === undefined ? config.documentRoots : options.documentRoots;
    id = (await inUnitOfWork(database, (tx) => createUser(repositoriesFor(tx), { username, email, hashedPassword, documentRoots }))).id;
  }
  const login = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password } });
  if (login.statusCode !== 200) throw new Error(`login failed: ${login.statusCode} ${login.body}`);
  const tokens = login.json() as { access_token: string; refresh_token: string };
  return {
    id,
    username,
    password,
    access: tokens.access_token,
    refresh: tokens.refresh_token,
    auth: { authorization: `Bearer ${tokens.access_token}` },
  };
}

/** inject() with a user's token; returns status and parsed JSON (undefined for empty bodies). */
export async function call(app: FastifyInstance, user: TestUser | undefined, options: InjectOptions) {
  const response = await app.inject({ ...options, headers: { ...(user ? user.auth : {}), ...(options.headers ?? {}) } });
  const body = response.body ? safeJson(response.body) : undefined;
  return { status: response.statusCode, body: body as any, headers: response.headers, raw: response };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export async function createCollectionVia(app: FastifyInstance, user: TestUser, body: Record<string, unknown> = {}) {
  const res = await call(app, user, { method: 'POST', url: '/api/v2/collections', payload: { name: uniqueName('col'), ...body } });
  if (res.status !== 201) throw new Error(`create collection failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { id: string; name: string; [key: string]: unknown };
}

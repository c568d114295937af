import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/http/serve.commands.js';
import { startWorker } from '../../src/worker/worker.js';
import { createLogger } from '../../src/shared/logger.js';
import { createServerTestDatabase, type TestDatabase } from '../support/test-databases.js';
import { EXTRA_COLLECTIONS, FIXTURE_FILES, SEARCH_QUERY, SEARCH_TARGET, SEARCH_TARGET_PHRASE } from './fixture-documents.js';

/**
 * The whole product through its web UI: a real server (in-process worker, fresh PostgreSQL
 * database) driven by Debian's Chromium. register → create collection → add a folder → progress
 * reaches 100% → search and open a result → create, use and revoke an API key → delete the
 * collection. Screenshots of each page go to test-artifacts/screenshots/ (git-ignored, kept by
 * CI); with UPDATE_README_SCREENSHOTS=1 the dashboard and search page are also written to
 * docs/screenshots/ for the README (off by default so `npm test` does not dirty the checkout).
 */

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const WEB_DIST_INDEX = path.join(REPO_ROOT, 'web/dist/index.html');
const SCREENSHOT_DIR = path.join(REPO_ROOT, 'test-artifacts/screenshots');
const README_SCREENSHOT_DIR = path.join(REPO_ROOT, 'docs/screenshots');
const CHROMIUM = process.env.SEMANTIK_E2E_CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];
const DESKTOP = { width: 1280, height: 800 };
const MOBILE = { width: 390, height: 844 };
/** Four small files with the test embedder index in ~1 s; 60 s covers a slow, loaded CI machine. */
const INDEXING_TIMEOUT_MS = 60_000;
/** Each UI step answers in milliseconds; 15 s only bounds a hang. */
const STEP_TIMEOUT_MS = 15_000;
/** A browser and server start (~2 s) plus the flow (~10 s); the bound is for a loaded machine. */
const FLOW_TIMEOUT_MS = 150_000;

const ADMIN = { username: 'ada', email: 'ada@example.com', password: 'correct-horse-battery-9', fullName: 'Ada Lovelace' };
const COLLECTION = { name: 'Research notes', description: 'Field notes on geology, baking, oceans and games.' };
const EMBEDDING_MODEL = 'deterministic-hash-384'; // the test embedder: fast, exact plumbing
const API_KEY_NAME = 'nightly-export-script';

const chromiumMissing = !fs.existsSync(CHROMIUM);
if (chromiumMissing && process.env.CI) {
  throw new Error(`${CHROMIUM} is missing: the browser test needs Debian's chromium (bash scripts/test.sh installs it: apt-get install chromium).`);
}
if (chromiumMissing) {
  console.warn(`[e2e] skipping the browser test: ${CHROMIUM} not found (install it with: sudo apt-get install chromium, or run bash scripts/test.sh)`);
}

describe.skipIf(chromiumMissing)('web UI end to end (Chromium against a real server)', () => {
  let testDb: TestDatabase | undefined;
  let server: RunningServer | undefined;
  let context: BrowserContext | undefined;
  let page: Page;
  let workDir: string;
  let profileDir: string;
  let baseUrl: string;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    ensureWebBuild();
    fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });

    // realpath: the server compares resolved paths against the allowed document roots.
    workDir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'semantik-e2e-')));
    const fixtureDir = path.join(workDir, 'documents', 'research-notes');
    fs.mkdirSync(fixtureDir, { recursive: true });
    for (const [name, text] of Object.entries(FIXTURE_FILES)) fs.writeFileSync(path.join(fixtureDir, name), text);
    for (const extra of EXTRA_COLLECTIONS) {
      const dir = path.join(workDir, 'documents', extra.folder);
      fs.mkdirSync(dir, { recursive: true });
      for (const [name, text] of Object.entries(extra.files)) fs.writeFileSync(path.join(dir, name), text);
    }

    testDb = await createServerTestDatabase({
      SEMANTIK_DOCUMENT_ROOTS: path.join(workDir, 'documents'),
      SEMANTIK_DATA_DIR: path.join(workDir, 'data'),
      DEFAULT_EMBEDDING_MODEL: EMBEDDING_MODEL,
      JWT_SECRET_KEY: `e2e-${randomBytes(24).toString('hex')}`,
    });
    const logger = createLogger(process.env.SEMANTIK_E2E_LOG_LEVEL ?? 'silent');
    // The in-process worker is passed explicitly so operations complete whether or not `serve`
    // defaults to it in this build.
    server = await startServer(testDb.config, testDb.database, logger, { host: '127.0.0.1', port: 0, startWorker });
    baseUrl = server.url;

    profileDir = fs.mkdtempSync(path.join(os.tmpdir(), 'semantik-e2e-chromium-'));
    context = await chromium.launchPersistentContext(profileDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: DESKTOP,
      colorScheme: 'light',
      locale: 'en-US',
      timezoneId: 'UTC',
    });
    context.setDefaultTimeout(STEP_TIMEOUT_MS);
    page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (err) => pageErrors.push(err.message));
    // A resource the security headers' CSP blocks is reported on the console, not thrown.
    page.on('console', (message) => {
      if (message.type() === 'error' && /Content Security Policy/i.test(message.text())) pageErrors.push(message.text());
    });
    // "Remove source" asks with window.confirm(); accept any such question.
    page.on('dialog', (dialog) => void dialog.accept());
  }, 180_000);

  afterAll(async () => {
    await context?.close().catch(() => {});
    await server?.close().catch(() => {});
    await testDb?.dispose().catch(() => {});
    for (const dir of [profileDir, workDir]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it(
    'register → collection → index a folder → search → API key → delete',
    async () => {
      const byTestId = (id: string) => page.getByTestId(id);

      // --- register the first user (becomes the administrator) -------------------------------
      await page.goto(baseUrl);
      await byTestId('login-username').waitFor();
      await shot(page, '01-login');
      await byTestId('show-register').click();
      await byTestId('register-username').fill(ADMIN.username);
      await byTestId('register-email').fill(ADMIN.email);
      await byTestId('register-password').fill(ADMIN.password);
      await byTestId('register-full-name').fill(ADMIN.fullName);
      await shot(page, '02-register');
      await byTestId('register-submit').click();
      await expect.poll(() => byTestId('current-username').textContent(), { timeout: STEP_TIMEOUT_MS }).toContain(ADMIN.username);
      await byTestId('collections-empty').waitFor();
      expect(new URL(page.url()).pathname).toBe('/');

      // --- create a collection -------------------------------------------------------------
      await byTestId('new-collection-button').click();
      const createDialog = byTestId('create-collection-dialog');
      await createDialog.waitFor();
      await byTestId('collection-name-input').fill(COLLECTION.name);
      await byTestId('collection-description-input').fill(COLLECTION.description);
      await byTestId('collection-model-input').fill(EMBEDDING_MODEL);
      await byTestId('create-collection-submit').click();
      const details = byTestId('collection-details');
      await details.waitFor();
      const collectionId = await details.getAttribute('data-collection-id');
      expect(collectionId).toMatch(/^[0-9a-f-]{36}$/);
      expect(await byTestId('collection-title').textContent()).toBe(COLLECTION.name);

      // --- add the fixture folder and watch the operation finish ---------------------------
      const sourcePath = path.join(workDir, 'documents', 'research-notes');
      await byTestId('add-source-path-input').fill(sourcePath);
      await byTestId('add-source-submit').click();
      const progress = byTestId('operation-progress');
      await progress.waitFor();
      await page.locator('[data-testid=operation-progress][data-status=completed]').waitFor({ timeout: INDEXING_TIMEOUT_MS });
      expect(await byTestId('operation-percentage').textContent()).toBe('100%');
      await expect.poll(() => byTestId('collection-document-count').first().textContent(), { timeout: STEP_TIMEOUT_MS }).toContain(String(Object.keys(FIXTURE_FILES).length));
      await expect.poll(() => byTestId('source-row').count(), { timeout: STEP_TIMEOUT_MS }).toBe(1);
      await expect.poll(() => byTestId('document-row').count(), { timeout: STEP_TIMEOUT_MS }).toBe(Object.keys(FIXTURE_FILES).length);
      await expect.poll(() => page.locator('[data-testid=collection-status]').first().getAttribute('data-status'), { timeout: STEP_TIMEOUT_MS }).toBe('ready');
      await shot(page, '03-collection-details');

      // Two more collections through the API (as a script would), so the dashboard shows several.
      const accessToken = await page.evaluate(() => localStorage.getItem('semantik.access_token'));
      expect(accessToken, 'the UI keeps its access token in localStorage').toBeTruthy();
      await Promise.all(EXTRA_COLLECTIONS.map((extra) => createIndexedCollection(accessToken!, extra)));

      // --- the dashboard lists it, ready, with its counts ----------------------------------
      await byTestId('nav-collections').click();
      await expect.poll(() => byTestId('collection-card').count(), { timeout: STEP_TIMEOUT_MS }).toBe(1 + EXTRA_COLLECTIONS.length);
      const card = page.locator(`[data-testid=collection-card][data-collection-id="${collectionId}"]`);
      await card.waitFor();
      expect(await card.getAttribute('data-collection-name')).toBe(COLLECTION.name);
      // The list may first render from the query cache (status pending) and then refetch.
      await expect.poll(() => card.getByTestId('collection-status').getAttribute('data-status'), { timeout: STEP_TIMEOUT_MS }).toBe('ready');
      await expect.poll(() => card.getByTestId('collection-document-count').textContent(), { timeout: STEP_TIMEOUT_MS }).toContain(String(Object.keys(FIXTURE_FILES).length));
      await shot(page, '04-dashboard', { readme: 'dashboard' });
      await page.setViewportSize(MOBILE);
      await card.waitFor();
      await shot(page, '05-dashboard-mobile');
      await page.setViewportSize(DESKTOP);

      // --- search, then open the best result -----------------------------------------------
      await byTestId('nav-search').click();
      await byTestId('search-query-input').fill(SEARCH_QUERY);
      // Search all three collections: the answer must come from the right one.
      for (const name of [COLLECTION.name, ...EXTRA_COLLECTIONS.map((extra) => extra.name)]) {
        await page.locator(`[data-testid=search-collection-option][data-collection-name="${name}"]`).check();
      }
      await byTestId('search-submit').click();
      await byTestId('search-result').or(byTestId('search-no-results')).or(byTestId('search-error')).first().waitFor();
      expect(await byTestId('search-error').count(), 'the search page showed an error').toBe(0);
      const openButtons = byTestId('search-result-open');
      expect(await openButtons.count()).toBeGreaterThan(0);
      // The query shares its words only with the target file, so it must rank first.
      expect(await openButtons.first().textContent()).toContain(SEARCH_TARGET);
      expect(await byTestId('search-result').first().textContent()).toContain(COLLECTION.name);
      await shot(page, '06-search-results', { readme: 'search' });
      await openButtons.first().click();
      const viewer = byTestId('document-viewer');
      await viewer.waitFor();
      await expect.poll(() => byTestId('document-viewer-text').textContent(), { timeout: STEP_TIMEOUT_MS }).toContain(SEARCH_TARGET_PHRASE);
      await shot(page, '07-document-viewer');
      await page.keyboard.press('Escape');
      await viewer.waitFor({ state: 'detached' });

      // --- API key: shown once, works, stops working when revoked --------------------------
      await byTestId('nav-settings').click();
      await byTestId('api-key-name-input').fill(API_KEY_NAME);
      await byTestId('api-key-create-submit').click();
      await byTestId('api-key-created').waitFor();
      const secret = (await byTestId('api-key-value').textContent())?.trim() ?? '';
      expect(secret).toMatch(/^smk_\S{16,}$/);
      const keyRow = page.locator(`[data-testid=api-key-row][data-key-name="${API_KEY_NAME}"]`);
      await keyRow.waitFor();
      await shot(page, '08-settings-api-keys');
      expect((await listCollectionsWith(secret)).status).toBe(200);
      await byTestId('api-key-dismiss').click();
      await expect.poll(() => byTestId('api-key-created').count()).toBe(0);
      expect(await page.getByText(secret).count(), 'the secret is shown only once').toBe(0);
      await keyRow.getByTestId('api-key-revoke').click();
      const revoked = page.waitForResponse((res) => res.request().method() === 'DELETE' && res.url().includes('/api/v2/api-keys/'));
      await keyRow.getByTestId('api-key-revoke-confirm').click();
      expect((await revoked).status()).toBe(204);
      expect((await listCollectionsWith(secret)).status).toBe(401);

      // --- delete the collection (typed confirmation) ---------------------------------------
      await byTestId('nav-collections').click();
      await card.waitFor();
      await card.getByTestId('collection-delete-button').click();
      await byTestId('delete-collection-dialog').waitFor();
      const submitDelete = byTestId('delete-collection-submit');
      expect(await submitDelete.isDisabled(), 'delete is disabled until the name is typed').toBe(true);
      await byTestId('delete-collection-confirm-input').fill(COLLECTION.name);
      expect(await submitDelete.isEnabled()).toBe(true);
      await submitDelete.click();
      await byTestId('delete-collection-dialog').waitFor({ state: 'detached' });
      // Deleting runs as an operation; reload until the worker has removed the collection row.
      await expect
        .poll(
          async () => {
            await page.reload();
            await byTestId('collection-list').or(byTestId('collections-empty')).first().waitFor();
            return card.count();
          },
          { timeout: INDEXING_TIMEOUT_MS, interval: 500 },
        )
        .toBe(0);
      // Only that one: the other collections are untouched.
      expect(await byTestId('collection-card').count()).toBe(EXTRA_COLLECTIONS.length);

      const db = testDb!.database.db;
      const remaining: Record<string, number> = {};
      for (const table of ['collections', 'collection_sources', 'operations', 'documents', 'chunks', 'chunk_embeddings'] as const) {
        const column = table === 'collections' ? 'id' : 'collection_id';
        const row = await db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .where(column, '=', collectionId!)
          .executeTakeFirstOrThrow();
        remaining[table] = Number(row.n);
      }
      expect(remaining).toEqual({ collections: 0, collection_sources: 0, operations: 0, documents: 0, chunks: 0, chunk_embeddings: 0 });

      expect(pageErrors, 'uncaught errors in the page').toEqual([]);
    },
    FLOW_TIMEOUT_MS,
  );

  function listCollectionsWith(apiKey: string): Promise<Response> {
    return fetch(`${baseUrl}/api/v2/collections`, { headers: { Authorization: `Bearer ${apiKey}` } });
  }

  async function api<T>(token: string, method: string, url: string, body?: unknown): Promise<T> {
    const res = await fetch(`${baseUrl}${url}`, {
      method,
      headers: { Authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${url} → ${res.status}: ${text}`);
    return JSON.parse(text) as T;
  }

  async function createIndexedCollection(token: string, extra: (typeof EXTRA_COLLECTIONS)[number]): Promise<void> {
    const created = await api<{ id: string }>(token, 'POST', '/api/v2/collections', {
      name: extra.name,
      description: extra.description,
      embedding_model: EMBEDDING_MODEL,
    });
    const operation = await api<{ id: string }>(token, 'POST', `/api/v2/collections/${created.id}/sources`, {
      source_path: path.join(workDir, 'documents', extra.folder),
    });
    await expect
      .poll(async () => (await api<{ status: string }>(token, 'GET', `/api/v2/operations/${operation.id}`)).status, { timeout: INDEXING_TIMEOUT_MS, interval: 200 })
      .toBe('completed');
  }
});

/** Viewport screenshots (what a 1280×800 window shows); README copies only on request. */
async function shot(page: Page, name: string, options: { readme?: string } = {}): Promise<void> {
  // The pointer stays where the last click was; move it off so no button is drawn hovered.
  await page.mouse.move(0, 0);
  // Let fonts and transitions settle so screenshots are not half-drawn.
  await page.evaluate(() => document.fonts.ready);
  await page.waitForTimeout(150);
  // animations: 'disabled' fast-forwards CSS transitions (the 500 ms progress-bar width) to their end.
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`), animations: 'disabled' });
  if (options.readme && process.env.UPDATE_README_SCREENSHOTS === '1') {
    // The README shows the page itself, not whichever notification happened to be up.
    for (const close of await page.getByRole('button', { name: 'Dismiss notification' }).all()) await close.click();
    await page.mouse.move(0, 0);
    await page.waitForTimeout(150);
    fs.mkdirSync(README_SCREENSHOT_DIR, { recursive: true });
    await page.screenshot({ path: path.join(README_SCREENSHOT_DIR, `${options.readme}.png`), animations: 'disabled' });
  }
}

/** CI builds the UI before `npm test`; a local run without web/dist builds it once (~10–20 s). */
function ensureWebBuild(): void {
  if (fs.existsSync(WEB_DIST_INDEX)) return;
  const result = spawnSync('npm', ['run', 'build:web'], { cwd: REPO_ROOT, encoding: 'utf8' });
  if (result.status !== 0 || !fs.existsSync(WEB_DIST_INDEX)) {
    throw new Error(`web/dist is missing and \`npm run build:web\` failed; run it by hand to see why.\n${result.stdout}\n${result.stderr}`);
  }
}

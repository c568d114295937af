import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

/**
 * Starts a worker thread on `<name>.js` next to `importMetaUrl`, or on `<name>.ts` when running
 * from source. Node 20 ignores `--import tsx` in a worker's execArgv (the worker fails with
 * ERR_UNKNOWN_FILE_EXTENSION), so from source a small eval'd bootstrap registers tsx's loader in
 * the worker first. tsx is resolved from here, so this works from any cwd.
 */
export function startModuleWorker(importMetaUrl: string, name: string): Worker {
  const fromSource = importMetaUrl.endsWith('.ts');
  const entry = new URL(`./${name}${fromSource ? '.ts' : '.js'}`, importMetaUrl);
  if (!fromSource) return new Worker(entry);
  const tsxApi = tsxEsmApiUrl();
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}); });`;
  return new Worker(bootstrap, { eval: true });
}

/** The ESM build of `tsx/esm/api` (require.resolve would pick the CommonJS one, which fails here). */
function tsxEsmApiUrl(): string {
  const packageJsonPath = createRequire(import.meta.url).resolve('tsx/package.json');
  const manifest = JSON.parse(fs.readFileSync(packageJsonPath, 'utf8')) as {
    exports: Record<string, { import: { default: string } }>;
  };
  const relative = manifest.exports['./esm/api']?.import.default;
  if (!relative) throw new Error('installed tsx has no "tsx/esm/api" export; cannot start a TypeScript worker');
  return pathToFileURL(path.join(path.dirname(packageJsonPath), relative)).href;
}

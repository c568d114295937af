import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';

/**
 * The eval's corpora: real third-party documentation from Debian packages, laid out as plain files
 * in bench/.cache/corpora/<id>/ so the product's own extractor reads them as a user's folder.
 * npm's and PostgreSQL's docs are reserved for independent evaluation: never add them here.
 */
export interface EvalCorpus {
  id: string;
  /** Debian package that ships it. */
  debianPackage: string;
  /** Folder inside the package. */
  packageDir: string;
  /** File names taken from that folder, and the name each gets in the corpus folder. */
  select(fileName: string): string | undefined;
  queriesFile: string;
}

export const EVAL_CORPORA: EvalCorpus[] = [
  {
    id: 'python311-library',
    debianPackage: 'python3.11-doc',
    packageDir: 'usr/share/doc/python3.11/html/library',
    select: (name) => (name.endsWith('.html') ? name : undefined),
    queriesFile: 'python311-library.queries.json',
  },
  {
    id: 'nodejs-api',
    debianPackage: 'nodejs-doc',
    packageDir: 'usr/share/doc/nodejs/api',
    select: (name) => (name.endsWith('.md.gz') ? name.slice(0, -'.gz'.length) : name.endsWith('.md') ? name : undefined),
    queriesFile: 'nodejs-api.queries.json',
  },
];

export const CACHE_DIR = path.resolve(import.meta.dirname, '..', '.cache');

/**
 * The package's files, from the installed package when present, else from the .deb fetched with
 * `apt-get download` and unpacked with `dpkg-deb -x` — never `apt-get install`: nodejs-doc conflicts
 * with a Node.js that bundles its own docs (installing it removes that Node.js).
 */
function packageRoot(corpus: EvalCorpus): string {
  if (fs.existsSync(path.join('/', corpus.packageDir))) return '/';
  const unpacked = path.join(CACHE_DIR, 'debs', corpus.debianPackage);
  if (fs.existsSync(path.join(unpacked, corpus.packageDir))) return unpacked;
  const download = fs.mkdtempSync(path.join(os.tmpdir(), 'semantik-eval-deb-'));
  try {
    execFileSync('apt-get', ['download', corpus.debianPackage], { cwd: download, stdio: 'inherit' });
    const deb = fs.readdirSync(download).find((f) => f.endsWith('.deb'));
    if (!deb) throw new Error(`apt-get download ${corpus.debianPackage} produced no .deb`);
    fs.mkdirSync(unpacked, { recursive: true });
    execFileSync('dpkg-deb', ['-x', path.join(download, deb), unpacked], { stdio: 'inherit' });
  } catch (err) {
    throw new Error(
      `eval:search needs Debian's ${corpus.debianPackage} (run "apt-get update" first if apt-get download cannot find it): ${(err as Error).message}`,
    );
  } finally {
    fs.rmSync(download, { recursive: true, force: true });
  }
  return unpacked;
}

/** Lays the corpus out as plain files (gunzipped where needed); returns the folder. */
export function materializeCorpus(corpus: EvalCorpus): string {
  const dir = path.join(CACHE_DIR, 'corpora', corpus.id);
  const source = path.join(packageRoot(corpus), corpus.packageDir);
  fs.mkdirSync(dir, { recursive: true });
  for (const name of fs.readdirSync(source).sort()) {
    const target = corpus.select(name);
    if (!target) continue;
    const out = path.join(dir, target);
    if (fs.existsSync(out)) continue;
    const bytes = fs.readFileSync(path.join(source, name));
    fs.writeFileSync(out, name.endsWith('.gz') ? zlib.gunzipSync(bytes) : bytes);
  }
  return dir;
}

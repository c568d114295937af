import fs from 'node:fs';
import BetterSqlite3 from 'better-sqlite3';
import bcrypt from 'bcryptjs';

/**
 * Job-era `webui.db` builders (contract/legacy-jobs-era-sqlite.md), in both physical variants:
 * A — DDL as the migration tool of that era wrote it (VARCHAR, quoted defaults, alembic row);
 * B — hand-written DDL (TEXT, AUTOINCREMENT), optionally "old": without the columns later
 *     appended by ALTER TABLE (jobs.vector_dim … mode, files.doc_id, files.content_hash).
 */
export type JobsEraVariant = 'A' | 'B' | 'B-old';

const VARIANT_A_DDL = `
CREATE TABLE alembic_version (
	version_num VARCHAR(32) NOT NULL,
	CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
);
CREATE TABLE users (
	id INTEGER NOT NULL,
	username VARCHAR NOT NULL,
	email VARCHAR NOT NULL,
	full_name VARCHAR,
	hashed_password VARCHAR NOT NULL,
	is_active BOOLEAN DEFAULT '1',
	created_at VARCHAR,
	last_login VARCHAR,
	PRIMARY KEY (id),
	UNIQUE (username),
	UNIQUE (email)
);
CREATE TABLE refresh_tokens (
	id INTEGER NOT NULL,
	user_id INTEGER NOT NULL,
	token_hash VARCHAR NOT NULL,
	expires_at VARCHAR NOT NULL,
	created_at VARCHAR,
	is_revoked BOOLEAN DEFAULT '0',
	PRIMARY KEY (id),
	FOREIGN KEY(user_id) REFERENCES users (id),
	UNIQUE (token_hash)
);
CREATE TABLE jobs (
	id VARCHAR NOT NULL,
	name VARCHAR NOT NULL,
	description TEXT,
	status VARCHAR NOT NULL,
	created_at VARCHAR NOT NULL,
	updated_at VARCHAR NOT NULL,
	directory_path VARCHAR NOT NULL,
	model_name VARCHAR NOT NULL,
	chunk_size INTEGER,
	chunk_overlap INTEGER,
	batch_size INTEGER,
	vector_dim INTEGER,
	quantization VARCHAR DEFAULT 'float32',
	instruction TEXT,
	total_files INTEGER DEFAULT '0',
	processed_files INTEGER DEFAULT '0',
	failed_files INTEGER DEFAULT '0',
	current_file TEXT,
	start_time VARCHAR,
	error TEXT,
	user_id INTEGER,
	parent_job_id VARCHAR,
	mode VARCHAR DEFAULT 'create',
	PRIMARY KEY (id),
	FOREIGN KEY(user_id) REFERENCES users (id)
);
CREATE INDEX idx_jobs_user_id ON jobs (user_id);
CREATE TABLE files (
	id INTEGER NOT NULL,
	job_id VARCHAR NOT NULL,
	path VARCHAR NOT NULL,
	size INTEGER NOT NULL,
	modified VARCHAR NOT NULL,
	extension VARCHAR NOT NULL,
	hash VARCHAR,
	doc_id VARCHAR,
	content_hash VARCHAR,
	status VARCHAR DEFAULT 'pending',
	error TEXT,
	chunks_created INTEGER DEFAULT '0',
	vectors_created INTEGER DEFAULT '0',
	PRIMARY KEY (id),
	FOREIGN KEY(job_id) REFERENCES jobs (id)
);
CREATE INDEX idx_files_job_id ON files (job_id);
CREATE INDEX idx_files_content_hash ON files (content_hash);
INSERT INTO alembic_version (version_num) VALUES ('860fb2e922f2');
`;

const VARIANT_B_BASE_DDL = `
CREATE TABLE jobs (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  description TEXT,
  status TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  directory_path TEXT NOT NULL,
  model_name TEXT NOT NULL,
  chunk_size INTEGER,
  chunk_overlap INTEGER,
  batch_size INTEGER,
  total_files INTEGER DEFAULT 0,
  processed_files INTEGER DEFAULT 0,
  failed_files INTEGER DEFAULT 0,
  current_file TEXT,
  error TEXT
);
CREATE TABLE files (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  job_id TEXT NOT NULL,
  path TEXT NOT NULL,
  size INTEGER NOT NULL,
  modified TEXT NOT NULL,
  extension TEXT NOT NULL,
  hash TEXT,
  status TEXT DEFAULT 'pending',
  error TEXT,
  chunks_created INTEGER DEFAULT 0,
  vectors_created INTEGER DEFAULT 0,
  FOREIGN KEY (job_id) REFERENCES jobs(id)
);
CREATE INDEX idx_files_job_id ON files(job_id);
CREATE TABLE users (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  username TEXT UNIQUE NOT NULL,
  email TEXT UNIQUE,
  full_name TEXT,
  hashed_password TEXT NOT NULL,
  is_active BOOLEAN DEFAULT 1,
  created_at TEXT DEFAULT CURRENT_TIMESTAMP,
  last_login TEXT
);
CREATE TABLE refresh_tokens (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  user_id INTEGER NOT NULL,
  token_hash TEXT UNIQUE NOT NULL,
  expires_at TEXT NOT NULL,
  created_at TEXT DEFAULT CURRENT_TIMESTAMP,
  is_revoked BOOLEAN DEFAULT 0,
  FOREIGN KEY (user_id) REFERENCES users(id)
);
`;

// The later columns arrived one ALTER at a time, so they sit at the end in this order.
const VARIANT_B_APPENDED = `
ALTER TABLE jobs ADD COLUMN vector_dim INTEGER;
ALTER TABLE jobs ADD COLUMN quantization TEXT DEFAULT 'float32';
ALTER TABLE jobs ADD COLUMN instruction TEXT;
ALTER TABLE files ADD COLUMN doc_id TEXT;
ALTER TABLE jobs ADD COLUMN start_time TEXT;
ALTER TABLE files ADD COLUMN content_hash TEXT;
ALTER TABLE jobs ADD COLUMN user_id INTEGER;
ALTER TABLE jobs ADD COLUMN parent_job_id TEXT;
ALTER TABLE jobs ADD COLUMN mode TEXT DEFAULT 'create';
`;

export const ALICE_PASSWORD = 'correct horse battery staple';

export function createJobsEraFile(file: string, variant: JobsEraVariant): BetterSqlite3.Database {
  for (const suffix of ['', '-wal', '-shm', '-journal']) fs.rmSync(file + suffix, { force: true });
  const db = new BetterSqlite3(file);
  db.pragma('foreign_keys = OFF'); // never enforced in the job era: dangling references exist
  db.exec(variant === 'A' ? VARIANT_A_DDL : VARIANT_B_BASE_DDL + (variant === 'B' ? VARIANT_B_APPENDED : ''));
  return db;
}

function insert(db: BetterSqlite3.Database, table: string, row: Record<string, unknown>): void {
  // Columns by name, and only those this variant has (an old B file lacks the appended ones).
  const present = new Set((db.prepare(`SELECT name FROM pragma_table_info(?)`).all(table) as Array<{ name: string }>).map((c) => c.name));
  const keys = Object.keys(row).filter((k) => present.has(k));
  db.prepare(`INSERT INTO ${table} (${keys.join(', ')}) VALUES (${keys.map((k) => '@' + k).join(', ')})`).run(Object.fromEntries(keys.map((k) => [k, row[k]])));
}

const sha = (n: number) => n.toString(16).padStart(64, '0');
export const JOB_IDS = {
  papers: '11111111-1111-4111-8111-111111111111',
  papersAppend: '22222222-2222-4222-8222-222222222222',
  shared: '33333333-3333-4333-8333-333333333333',
  strayOwner: '44444444-4444-4444-8444-444444444444',
  danglingParentAppend: '55555555-5555-4555-8555-555555555555',
  inFlight: 'job-6-not-a-uuid',
  blankName: '77777777-7777-4777-8777-777777777777',
  untitled: '88888888-8888-4888-8888-888888888888',
};

/**
 * Realistic edge cases: NULL user ids, append jobs, the same content in several jobs of one
 * collection (and in another collection), NULL and `symlink:` hashes, dangling job/user/parent
 * references, naive and offset timestamps, a file over 4 GB, a blank job name next to one
 * literally named "Untitled", users differing only in letter case, refresh tokens.
 */
export function writeJobsEraScenario(db: BetterSqlite3.Database): { files: number; jobs: number; users: number } {
  const tx = db.transaction(() => {
    insert(db, 'users', { id: 1, username: 'alice', email: 'alice@example.test', full_name: 'Alice Ünïcode 😀', hashed_password: bcrypt.hashSync(ALICE_PASSWORD, 4), is_active: 1, created_at: '2023-01-01T09:00:00.123456+00:00', last_login: '2023-06-01T10:00:00+00:00' });
    insert(db, 'users', { id: 2, username: 'bob', email: 'bob@example.test', full_name: null, hashed_password: bcrypt.hashSync('bob-password', 4), is_active: null, created_at: '2023-01-02T00:00:00', last_login: null });
    insert(db, 'users', { id: 3, username: 'Alice', email: 'ALICE@example.test', full_name: null, hashed_password: bcrypt.hashSync('other', 4), is_active: 0, created_at: '2023-01-03T00:00:00+02:00', last_login: null });
    const job = (id: string, name: string, over: Record<string, unknown>) =>
      insert(db, 'jobs', {
        id, name, description: '', status: 'completed', created_at: '2023-02-01T00:00:00+00:00', updated_at: '2023-02-01T01:00:00+00:00',
        directory_path: '/data/papers', model_name: 'Qwen/Qwen3-Embedding-0.6B', chunk_size: 600, chunk_overlap: 200, batch_size: 96,
        vector_dim: 1024, quantization: 'float32', instruction: null, total_files: 5, processed_files: 5, failed_files: 0, current_file: null,
        start_time: '2023-02-01T00:00:01+00:00', error: null, user_id: 1, parent_job_id: null, mode: 'create', ...over,
      });
    job(JOB_IDS.papers, 'Research papers', {});
    job(JOB_IDS.papersAppend, 'Research papers', { mode: 'append', parent_job_id: JOB_IDS.papers, directory_path: '/data/papers-2', created_at: '2023-03-01T12:00:00.5+02:00', updated_at: '2023-03-01T13:00:00+02:00' });
    job(JOB_IDS.shared, 'Shared notes', { user_id: null, directory_path: '/data/notes', chunk_size: null, chunk_overlap: null, model_name: 'BAAI/bge-small-en-v1.5', vector_dim: 384, created_at: '2023-04-01T00:00:00' });
    job(JOB_IDS.strayOwner, 'Stray owner', { user_id: 99, status: 'failed', error: 'Qdrant unavailable', directory_path: '/data/stray' });
    job(JOB_IDS.danglingParentAppend, 'Research papers', { mode: 'append', parent_job_id: 'job-that-was-deleted', status: 'processing', created_at: '2023-05-01T00:00:00Z', updated_at: '2023-05-01T00:00:00Z' });
    job(JOB_IDS.inFlight, 'In flight', { status: 'created', directory_path: '/data/in-flight', user_id: 2 });
    job(JOB_IDS.blankName, '', { directory_path: '/data/blank' });
    job(JOB_IDS.untitled, 'Untitled', { directory_path: '/data/untitled', created_at: '2023-01-15T00:00:00Z' });

    let fileId = 0;
    const file = (jobId: string, filePath: string, over: Record<string, unknown> = {}) =>
      insert(db, 'files', {
        id: ++fileId, job_id: jobId, path: filePath, size: 1000 + fileId, modified: '2023-01-10T08:00:00+00:00', extension: filePath.slice(filePath.lastIndexOf('.')),
        hash: `meta-${fileId}`, doc_id: filePath.length.toString(16).padStart(16, '0'), content_hash: sha(fileId), status: 'completed', error: null, chunks_created: 3, vectors_created: 3, ...over,
      });
    file(JOB_IDS.papers, '/data/papers/a.pdf', { content_hash: sha(1000) });
    file(JOB_IDS.papers, '/data/papers/b.md', { content_hash: sha(2000) });
    file(JOB_IDS.papers, '/data/papers/b-copy.md', { content_hash: sha(2000) }); // same job, same content
    file(JOB_IDS.papers, '/data/papers/no-hash.txt', { content_hash: null, status: 'pending' }); // extraction error left it pending
    file(JOB_IDS.papers, '/data/papers/link.txt', { content_hash: `symlink:${sha(3000)}` });
    file(JOB_IDS.papers, '/data/papers/huge.iso', { size: 5 * 1024 ** 3 + 7, extension: '.iso' });
    file(JOB_IDS.papersAppend, '/data/papers-2/a-again.pdf', { content_hash: sha(1000) }); // newer copy of a.pdf
    file(JOB_IDS.papersAppend, '/data/papers-2/ünï 😀.txt', { modified: '2023-03-01T10:00:00' });
    file(JOB_IDS.shared, '/data/notes/a-elsewhere.pdf', { content_hash: sha(1000) }); // same content, other collection: kept
    file(JOB_IDS.strayOwner, '/data/stray/broken.docx', { status: 'failed', error: 'cannot parse docx', chunks_created: 0, vectors_created: 0 });
    file('ghost-job', '/data/ghost/x.txt'); // dangling job_id
    file(JOB_IDS.danglingParentAppend, '/data/papers/no-hash-2.txt', { content_hash: null });
    file(JOB_IDS.inFlight, '/data/in-flight/one.html', { status: 'pending', chunks_created: 0, vectors_created: 0 });
    file(JOB_IDS.blankName, '/data/blank/x.txt');
    file(JOB_IDS.untitled, '/data/untitled/y.txt');

    insert(db, 'refresh_tokens', { id: 1, user_id: 1, token_hash: bcrypt.hashSync('jwt-1', 4), expires_at: '2023-07-01T00:00:00+00:00', created_at: '2023-06-24T00:00:00+00:00', is_revoked: 0 });
    insert(db, 'refresh_tokens', { id: 2, user_id: 42, token_hash: bcrypt.hashSync('jwt-2', 4), expires_at: '2023-07-01T00:00:00+00:00', created_at: '2023-06-24T00:00:00+00:00', is_revoked: 1 });
  });
  tx();
  return { files: 15, jobs: 8, users: 3 };
}

/** Many files over a few job names (for timing and batching), with duplicates across append jobs. */
export function writeJobsEraBulk(db: BetterSqlite3.Database, files: number, jobNames = 10): void {
  const tx = db.transaction(() => {
    insert(db, 'users', { id: 1, username: 'admin', email: 'admin@example.test', full_name: null, hashed_password: '$2b$04$' + 'x'.repeat(53), is_active: 1, created_at: '2023-01-01T00:00:00', last_login: null });
    const jobIds: string[] = [];
    for (let n = 0; n < jobNames; n++) {
      for (const mode of ['create', 'append']) {
        const id = `${mode}-${n}`;
        jobIds.push(id);
        insert(db, 'jobs', { id, name: `bulk ${n}`, description: '', status: 'completed', created_at: `2023-0${mode === 'create' ? 1 : 2}-01T00:00:00+00:00`, updated_at: '2023-02-01T00:00:00+00:00', directory_path: `/bulk/${n}/${mode}`, model_name: 'm', chunk_size: 600, chunk_overlap: 200, batch_size: 96, user_id: 1, parent_job_id: mode === 'append' ? `create-${n}` : null, mode });
      }
    }
    const stmt = db.prepare(`INSERT INTO files (job_id, path, size, modified, extension, hash, status, chunks_created, vectors_created) VALUES (?, ?, ?, ?, '.txt', ?, 'completed', 2, 2)`);
    const hasContentHash = (db.prepare(`SELECT count(*) AS n FROM pragma_table_info('files') WHERE name = 'content_hash'`).get() as { n: number }).n > 0;
    const setHash = hasContentHash ? db.prepare('UPDATE files SET content_hash = ? WHERE rowid = ?') : undefined;
    for (let i = 1; i <= files; i++) {
      const job = jobIds[i % jobIds.length]!;
      const info = stmt.run(job, `/bulk/${job}/file-${i}.txt`, 100 + i, '2023-01-05T00:00:00+00:00', `m${i}`);
      // 10% of the files (those of append jobs with i % 20 ∈ {1, 3}) repeat the content of the
      // previous file, which belongs to the same collection's create job.
      setHash?.run(sha(i % 20 === 1 || i % 20 === 3 ? i - 1 : i), info.lastInsertRowid);
    }
  });
  tx();
}

import { createHash } from 'node:crypto';
import path from 'node:path';
import { canonicalJson, JsonNumber, type JsonValue, toJsonValue } from './canonical-json.js';
import { INTERRUPTED_OPERATION_MESSAGE, REINDEX_STATUS_MESSAGE, scanTable, TARGET_COLUMNS } from './collections-era.transformer.js';
import type { DetectedFormat } from './format-detector.js';
import { type ImportPlan, metadataFrom, type ProducedRow, RowConverter, type TableJob, type TransformOptions } from './import-plan.js';
import type { ImportRecorder, ReconciliationRow } from './report.js';
import type { SqliteSource } from './sqlite-source.js';
import { ConversionProblem, convertDatetime, convertInteger, legacyIdToUuid, mimeTypeForExtension, uuidV5 } from './value-converters.js';

/**
 * Job-era files (contract/legacy-jobs-era-sqlite.md): users, jobs, files, refresh_tokens, with
 * collections implicit in job names. A transforming import: one collection per distinct job name,
 * jobs → operations, files → documents de-duplicated by content per collection (the newest copy
 * kept, the others listed in its metadata), sources = distinct directory paths, refresh tokens
 * dropped (bcrypt of a JWT: unusable by the new scheme). Every decision is recorded in the report,
 * and the reconciliation accounts for every source row.
 */
const DEFAULTS = { model: 'Qwen/Qwen3-Embedding-0.6B', chunkSize: 600, chunkOverlap: 200, quantization: 'float32' };
const EPOCH = '1970-01-01T00:00:00.000000Z';

const JOB_STATUS: Record<string, 'pending' | 'processing' | 'completed' | 'failed' | 'cancelled'> = {
  created: 'pending',
  pending: 'pending',
  scanning: 'pending',
  processing: 'processing',
  running: 'processing',
  completed: 'completed',
  failed: 'failed',
  cancelled: 'cancelled',
  canceled: 'cancelled',
};
const FILE_STATUS = ['pending', 'processing', 'completed', 'failed'] as const;

/** jobs.mode: NULL/'' meant create (the column's server default); only create and append were written. */
function jobMode(raw: unknown): 'create' | 'append' | undefined {
  if (raw === null || raw === undefined || raw === '') return 'create';
  const lower = typeof raw === 'string' ? raw.toLowerCase() : undefined;
  return lower === 'create' || lower === 'append' ? lower : undefined;
}


interface LegacyUser {
  key: number;
  id: number;
  values: unknown[];
}

interface LegacyJob {
  key: number;
  id: string;
  name: string;
  createdAt: string;
  updatedAt: string;
  row: Record<string, unknown>;
  collection?: PlannedCollection;
}

interface PlannedCollection {
  key: number;
  id: string;
  name: string;
  createJob: LegacyJob;
  jobs: LegacyJob[];
  sources: Map<string, { id: number; jobs: LegacyJob[]; documents: number; bytes: number }>;
  documents: number;
  bytes: number;
}

interface FileCopy {
  file_id: JsonValue;
  job_id: string;
  path: string;
}

interface FileWinner {
  rowid: number;
  jobCreatedAt: string;
  entry: FileCopy;
  duplicates: FileCopy[];
}

function tsOrNull(value: unknown): string | null {
  if (value === null || value === undefined || value === '') return null;
  try {
    return convertDatetime(value);
  } catch {
    return null;
  }
}

export function buildJobsEraPlan(source: SqliteSource, format: DetectedFormat, recorder: ImportRecorder, _options: TransformOptions): ImportPlan {
  const col = (table: string, name: string) => source.hasColumn(table, name);
  const decide = recorder.decide.bind(recorder);

  // ---- users ------------------------------------------------------------------------------
  const users: LegacyUser[] = [];
  const userIds = new Set<number>();
  const seenUsernames = new Set<string>();
  const seenEmails = new Set<string>();
  const userConv = new RowConverter(recorder, 'users');
  const legacyUsers = [...scanTable(source, 'users', 0)].sort((a, b) => Number(a['id']) - Number(b['id']));
  for (const r of legacyUsers) {
    userConv.begin(r['id']);
    const id = userConv.int('id', r['id']);
    if (id === null) continue;
    let username = (userConv.text('username', r['username'], true) ?? '').trim();
    if (!username || seenUsernames.has(username.toLowerCase())) {
      const renamed = `${username || 'user'}-${id}`;
      decide('user-renamed', 'usernames blank or equal to another ignoring case → suffixed with the user id', `${JSON.stringify(username)} → ${renamed}`);
      username = renamed;
    }
    seenUsernames.add(username.toLowerCase());
    let email = userConv.text('email', r['email'], true)?.trim() ?? '';
    if (!email || seenEmails.has(email.toLowerCase())) {
      const replacement = `user-${id}@legacy.invalid`;
      decide('user-email-replaced', 'emails missing or equal to another ignoring case → placeholder (edit it after login)', `user ${id}: ${JSON.stringify(email)} → ${replacement}`);
      email = replacement;
    }
    seenEmails.add(email.toLowerCase());
    let isActive = userConv.bool('is_active', r['is_active'], true);
    if (isActive === null) {
      isActive = true;
      decide('user-active-default', 'users.is_active NULL → true (the legacy default)', `user ${id}`);
    }
    let createdAt = tsOrNull(r['created_at']);
    if (createdAt === null) {
      createdAt = EPOCH;
      decide('user-created-unknown', 'users.created_at missing or unreadable → 1970-01-01', `user ${id}: ${JSON.stringify(r['created_at'])}`);
    }
    let password = userConv.text('hashed_password', r['hashed_password'], true);
    if (!password) {
      password = '!';
      decide('user-no-password', 'users without a password hash → cannot log in until an admin sets a password', `user ${id}`);
    }
    const isSuperuser = users.length === 0;
    if (isSuperuser) decide('first-user-superuser', 'the job era had no superuser flag: the first user (lowest id) becomes superuser', `user ${id} (${username})`);
    userIds.add(id);
    users.push({ key: Number(r.__rowid), id, values: [id, username, email, userConv.text('full_name', r['full_name'], true), password, isActive, isSuperuser, createdAt, createdAt, tsOrNull(r['last_login'])] });
  }
  users.sort((a, b) => a.key - b.key);
  let firstSuperuser = users.length ? Math.min(...users.map((u) => u.id)) : undefined;

  // ---- jobs → collections --------------------------------------------------------------------
  const jobs: LegacyJob[] = [];
  const jobsById = new Map<string, LegacyJob>();
  for (const r of scanTable(source, 'jobs', 0)) {
    const id = String(r['id']);
    const name = typeof r['name'] === 'string' ? r['name'] : r['name'] == null ? '' : String(r['name']);
    let createdAt = tsOrNull(r['created_at']) ?? tsOrNull(r['updated_at']) ?? tsOrNull(col('jobs', 'start_time') ? r['start_time'] : null);
    if (createdAt === null) {
      createdAt = EPOCH;
      decide('job-created-unknown', 'jobs.created_at missing or unreadable → 1970-01-01', `job ${id}: ${JSON.stringify(r['created_at'])}`);
    }
    const job: LegacyJob = { key: Number(r.__rowid), id, name, createdAt, updatedAt: tsOrNull(r['updated_at']) ?? createdAt, row: r };
    jobs.push(job);
    jobsById.set(id, job);
  }
  const byName = new Map<string, LegacyJob[]>();
  for (const job of jobs) {
    const group = byName.get(job.name) ?? [];
    group.push(job);
    byName.set(job.name, group);
  }
  if (jobs.length > 0 && firstSuperuser === undefined) {
    firstSuperuser = 1;
    decide('placeholder-owner', 'the file has jobs but no users: a disabled superuser "legacy-import" (id 1) owns the collections', 'user 1');
    users.push({ key: 1, id: 1, values: [1, 'legacy-import', 'legacy-import@legacy.invalid', null, '!', false, true, EPOCH, EPOCH, null] });
    userIds.add(1);
  }

  const collections: PlannedCollection[] = [];
  const takenNames = new Set<string>();
  let sourceIdCounter = 0;
  for (const [name, group] of byName) {
    group.sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.key - b.key));
    const isCreate = (j: LegacyJob) => !col('jobs', 'mode') || jobMode(j.row['mode']) === 'create';
    let createJob = group.find(isCreate);
    if (!createJob) {
      createJob = group[0]!;
      decide('collection-without-create-job', 'job names with only append jobs → settings taken from the earliest job', name);
    }
    let base = name;
    if (!name.trim()) {
      base = 'Untitled';
      decide('job-blank-name', 'jobs with a blank name → a collection named "Untitled"', `job ${createJob.id}`);
    }
    let collectionName = base;
    for (let n = 1; takenNames.has(collectionName); n++) collectionName = `${base} (imported${n > 1 ? ` ${n}` : ''})`;
    if (collectionName !== base) decide('collection-name-collision', 'collection names already taken → suffixed', `${JSON.stringify(base)} → ${JSON.stringify(collectionName)}`);
    takenNames.add(collectionName);
    const collection: PlannedCollection = { key: collections.length + 1, id: uuidV5(`jobs-era-collection:${name}`), name: collectionName, createJob, jobs: group, sources: new Map(), documents: 0, bytes: 0 };
    for (const job of group) {
      job.collection = collection;
      const dir = typeof job.row['directory_path'] === 'string' && job.row['directory_path'] ? (job.row['directory_path'] as string) : undefined;
      if (!dir) {
        decide('job-without-directory', 'jobs without a directory_path → no source row (their files are kept)', `job ${job.id}`);
        continue;
      }
      let src = collection.sources.get(dir);
      if (!src) collection.sources.set(dir, (src = { id: ++sourceIdCounter, jobs: [], documents: 0, bytes: 0 }));
      src.jobs.push(job);
      const parentId = col('jobs', 'parent_job_id') ? job.row['parent_job_id'] : null;
      if (parentId != null && parentId !== '') {
        const parent = jobsById.get(String(parentId));
        if (!parent) decide('dangling-parent-job', 'append jobs whose parent_job_id points at a missing job (grouped by name)', `job ${job.id} → ${String(parentId)}`);
        else if (parent.name !== job.name) decide('parent-job-other-name', 'append jobs whose parent has another name (grouped by their own name)', `job ${job.id}`);
      }
    }
    collections.push(collection);
  }
  if (collections.length) decide('collections-created', 'collections created from job names (one per distinct name)', undefined, collections.length);

  // ---- files: classify every row, pick the newest copy of each content per collection ----------
  const fileOutcomes: Record<string, number> = {};
  const count = (outcome: string) => (fileOutcomes[outcome] = (fileOutcomes[outcome] ?? 0) + 1);
  // Pass 1 over files (ids, job, path, hash only): every content key of a collection → its copies.
  const groups = new Map<string, FileWinner[]>();
  const hasContentHash = col('files', 'content_hash');
  if (!hasContentHash) decide('no-content-hash-column', 'old file without files.content_hash: every document is keyed by its path (the reindex computes real hashes)', undefined, 1);
  const fileScan = source.db.prepare(`SELECT rowid AS __rowid, id, job_id, path${hasContentHash ? ', content_hash' : ''} FROM files ORDER BY rowid`);
  for (const f of fileScan.iterate() as IterableIterator<Record<string, unknown> & { __rowid: number }>) {
    const job = jobsById.get(String(f['job_id']));
    if (!job) {
      count('not imported: job_id points at a missing job');
      decide('file-dangling-job', 'files whose job_id points at a missing job → not imported', `file ${String(f['id'])} → job ${String(f['job_id'])}`);
      continue;
    }
    if (typeof f['path'] !== 'string' || !f['path']) {
      count('not imported: no path');
      decide('file-no-path', 'files without a path → not imported', `file ${String(f['id'])}`);
      continue;
    }
    const key = `${job.collection!.id}\u0000${documentHash(f['content_hash'], f['path'])}`;
    const copy: FileWinner = { rowid: f.__rowid, jobCreatedAt: job.createdAt, duplicates: [], entry: { file_id: toJsonValue(f['id']), job_id: job.id, path: f['path'] } };
    const group = groups.get(key);
    if (group) group.push(copy);
    else groups.set(key, [copy]);
  }
  // Newest = from the most recently created job; within one job, the later row.
  const winnerByRowid = new Map<number, FileWinner>();
  for (const group of groups.values()) {
    let winner = group[0]!;
    for (const copy of group) {
      if (copy.jobCreatedAt > winner.jobCreatedAt || (copy.jobCreatedAt === winner.jobCreatedAt && copy.rowid > winner.rowid)) winner = copy;
    }
    winner.duplicates = group.filter((c) => c !== winner).map((c) => c.entry);
    winnerByRowid.set(winner.rowid, winner);
    count('imported as a document');
    for (const d of winner.duplicates) {
      count('merged into the newest copy (same content, same collection)');
      decide('file-duplicate', 'files with the same content as another in the same collection → one document (the newest), the others listed in its metadata.legacy.duplicates', `file ${idText(d.file_id)} (${d.path}) → kept file ${idText(winner.entry.file_id)} (${winner.entry.path})`);
    }
  }

  // ---- producers ------------------------------------------------------------------------------
  const usersJob: TableJob = {
    table: 'users',
    sourceTable: 'users',
    sourceRows: source.count('users'),
    columns: TARGET_COLUMNS.users,
    identity: true,
    conversions: ['ids kept', 'bcrypt hashes kept unchanged (verified at login, upgraded to argon2id)', 'first user → superuser', 'ISO timestamps (naive = UTC) → timestamptz'],
    *rows(afterKey) {
      for (const u of users) if (u.key > afterKey) yield { key: u.key, values: u.values };
    },
  };

  // Documents are counted per collection and source before those rows are produced.
  const fileConv = new RowConverter(recorder, 'files');
  function* documentRows(afterKey: number, tally: boolean): Generator<ProducedRow> {
    for (const f of scanTable(source, 'files', afterKey)) {
      const winner = winnerByRowid.get(f.__rowid);
      if (!winner) continue;
      const job = jobsById.get(String(f['job_id']))!;
      const collection = job.collection!;
      fileConv.begin(f['id']);
      const filePath = f['path'] as string;
      const rawHash = hasContentHash ? f['content_hash'] : null;
      if (rawHash == null || rawHash === '') decide('file-null-hash', 'files with a NULL content_hash → keyed by path ("path-sha256:…"); the reindex computes real hashes', `file ${String(f['id'])}`);
      else if (String(rawHash).startsWith('symlink:')) decide('file-symlink-hash', 'files with a "symlink:" content hash → kept verbatim (the reindex follows the link)', `file ${String(f['id'])}`);
      let size = 0;
      try {
        size = f['size'] == null ? 0 : convertInteger(f['size'], { min: 0 });
      } catch (err) {
        if (!(err instanceof ConversionProblem)) throw err;
        decide('file-size-invalid', 'files with a missing or invalid size → 0', `file ${String(f['id'])}: ${JSON.stringify(f['size'])}`);
      }
      const status = fileConv.enumValue('status', f['status'] ?? 'pending', FILE_STATUS, 'file status');
      const extension = typeof f['extension'] === 'string' ? f['extension'] : path.extname(filePath);
      const modified = tsOrNull(f['modified']);
      if (modified === null && f['modified'] != null) decide('file-modified-unreadable', 'files.modified unreadable → NULL (raw value kept in metadata.legacy.modified)', `file ${String(f['id'])}`);
      const dir = typeof job.row['directory_path'] === 'string' ? (job.row['directory_path'] as string) : undefined;
      const src = dir ? collection.sources.get(dir) : undefined;
      if (tally) {
        collection.documents += 1;
        collection.bytes += size;
        if (src) {
          src.documents += 1;
          src.bytes += size;
        }
      }
      const metadata = metadataFrom(undefined, {
        file_id: toJsonValue(f['id']),
        job_id: job.id,
        doc_id: col('files', 'doc_id') ? toJsonValue(f['doc_id']) : undefined,
        extension: toJsonValue(f['extension']),
        hash: toJsonValue(f['hash']),
        content_hash: rawHash == null ? null : undefined,
        modified: modified === null ? toJsonValue(f['modified']) : undefined,
        vectors_created: toJsonValue(f['vectors_created']),
        duplicates: winner.duplicates.length ? toJsonValue(winner.duplicates) : undefined,
      });
      const values = [
        uuidV5(`jobs-era-file:${String(f['id'])}`), collection.id, src?.id ?? null, filePath, path.basename(filePath) || filePath, size,
        mimeTypeForExtension(String(extension)), documentHash(rawHash, filePath), status, fileConv.text('error', f['error'], true),
        fileConv.int('chunks_created', f['chunks_created'] ?? 0, false, { min: 0 }), canonicalJson(metadata), modified, job.createdAt, job.updatedAt,
      ];
      if (fileConv.ok) yield { key: f.__rowid, values };
    }
  }
  // Tally once up front (collections and sources carry the counts; they come before documents in
  // foreign-key order). Muted: the engine's analysis pass records the documents' decisions.
  const wasMuted = recorder.muted;
  recorder.muted = true;
  for (const _ of documentRows(0, true)) void _;
  recorder.muted = wasMuted;

  const collectionsJob: TableJob = {
    table: 'collections',
    sourceTable: 'jobs (by name)',
    sourceRows: byName.size,
    columns: TARGET_COLUMNS.collections,
    identity: false,
    conversions: ['one collection per distinct job name; settings from its create job', 'owner NULL or missing → first superuser (and public: NULL meant visible to everyone)', 'needs_reindex, status pending'],
    *rows(afterKey) {
      for (const c of collections) {
        if (c.key <= afterKey) continue;
        const r = c.createJob.row;
        const rawOwner = col('jobs', 'user_id') ? r['user_id'] : null;
        let ownerId = rawOwner == null ? null : Number(rawOwner);
        const isPublic = rawOwner == null;
        if (ownerId === null) {
          decide('owner-null', 'collections whose create job had no user → owned by the first superuser, public', c.name);
          ownerId = firstSuperuser!;
        } else if (!userIds.has(ownerId)) {
          decide('owner-dangling', 'collections whose create job points at a missing user → owned by the first superuser', `${c.name}: user ${ownerId}`);
          ownerId = firstSuperuser!;
        }
        const setting = (column: string, fallback: number | string, what: string): number | string => {
          const v = col('jobs', column) ? r[column] : null;
          if (v == null || v === '') {
            decide(`default-${column}`, `jobs.${column} NULL or missing → ${String(fallback)} (${what})`, c.name);
            return fallback;
          }
          return typeof fallback === 'number' ? Number(v) : String(v);
        };
        let chunkSize = setting('chunk_size', DEFAULTS.chunkSize, 'the default of that era') as number;
        let chunkOverlap = setting('chunk_overlap', DEFAULTS.chunkOverlap, 'the default of that era') as number;
        if (!(Number.isInteger(chunkSize) && chunkSize > 0)) {
          decide('chunk-size-invalid', `chunk_size not a positive integer → ${DEFAULTS.chunkSize}`, `${c.name}: ${chunkSize}`);
          chunkSize = DEFAULTS.chunkSize;
        }
        if (!(Number.isInteger(chunkOverlap) && chunkOverlap >= 0 && chunkOverlap < chunkSize)) {
          const fixed = Math.floor(chunkSize / 5);
          decide('chunk-overlap-invalid', 'chunk_overlap not below chunk_size → a fifth of chunk_size', `${c.name}: ${chunkOverlap} → ${fixed}`);
          chunkOverlap = fixed;
        }
        const vectorDim = col('jobs', 'vector_dim') && Number.isInteger(r['vector_dim']) && (r['vector_dim'] as number) > 0 ? (r['vector_dim'] as number) : null;
        const metadata = metadataFrom(undefined, {
          format: format.format,
          job_name: c.name !== c.createJob.name ? c.createJob.name : undefined,
          create_job_id: c.createJob.id,
          job_ids: c.jobs.map((j) => j.id),
          batch_size: toJsonValue(r['batch_size']),
          instruction: col('jobs', 'instruction') ? toJsonValue(r['instruction']) : undefined,
          vectors_created: undefined,
        });
        const createdAt = c.jobs.reduce((m, j) => (j.createdAt < m ? j.createdAt : m), c.jobs[0]!.createdAt);
        const updatedAt = c.jobs.reduce((m, j) => (j.updatedAt > m ? j.updatedAt : m), c.jobs[0]!.updatedAt);
        yield {
          key: c.key,
          values: [c.id, c.name, typeof r['description'] === 'string' ? r['description'] : null, ownerId, `job_${c.createJob.id}`,
            setting('model_name', DEFAULTS.model, 'the default model of that era'), vectorDim, setting('quantization', DEFAULTS.quantization, 'the default'),
            chunkSize, chunkOverlap, isPublic, 'pending', REINDEX_STATUS_MESSAGE, canonicalJson(metadata), true, c.documents, 0, c.bytes, createdAt, updatedAt],
        };
      }
    },
  };

  const sourcesJob: TableJob = {
    table: 'collection_sources',
    sourceTable: 'jobs.directory_path',
    sourceRows: collections.reduce((n, c) => n + c.sources.size, 0),
    columns: TARGET_COLUMNS.collection_sources,
    identity: true,
    conversions: ['one source per distinct directory_path of a collection\'s jobs'],
    *rows(afterKey) {
      for (const c of collections) {
        for (const [dir, s] of c.sources) {
          if (s.id <= afterKey) continue;
          const completed = s.jobs.filter((j) => JOB_STATUS[String(j.row['status']).toLowerCase()] === 'completed');
          const lastIndexed = completed.length ? completed.reduce((m, j) => (j.updatedAt > m ? j.updatedAt : m), completed[0]!.updatedAt) : null;
          const createdAt = s.jobs.reduce((m, j) => (j.createdAt < m ? j.createdAt : m), s.jobs[0]!.createdAt);
          const metadata = metadataFrom(undefined, { job_ids: s.jobs.map((j) => j.id) });
          yield { key: s.id, values: [s.id, c.id, dir, 'directory', s.documents, s.bytes, lastIndexed, canonicalJson(metadata), createdAt, lastIndexed ?? createdAt] };
        }
      }
    },
  };

  const jobConv = new RowConverter(recorder, 'jobs');
  const operationsJob: TableJob = {
    table: 'operations',
    sourceTable: 'jobs',
    sourceRows: jobs.length,
    columns: TARGET_COLUMNS.operations,
    identity: false,
    conversions: ['create job → index, append job → append', 'status: created/scanning → pending, running → processing; still active → cancelled', 'settings → config jsonb'],
    *rows(afterKey) {
      for (const job of jobs) {
        if (job.key <= afterKey) continue;
        const r = job.row;
        jobConv.begin(job.id);
        const rawStatus = String(r['status'] ?? '').toLowerCase();
        let status = JOB_STATUS[rawStatus];
        if (!status) {
          jobConv.fail('status', `unknown job status ${JSON.stringify(r['status'])} (expected one of ${Object.keys(JOB_STATUS).join(', ')})`, 'unknown-enum');
          continue;
        }
        const rawUser = col('jobs', 'user_id') ? r['user_id'] : null;
        let userId = rawUser == null ? null : Number(rawUser);
        if (userId !== null && !userIds.has(userId)) {
          decide('job-user-dangling', 'jobs whose user_id points at a missing user → operation without a user', `job ${job.id} → user ${userId}`);
          userId = null;
        }
        let error = typeof r['error'] === 'string' ? r['error'] : null;
        const legacy: Record<string, JsonValue | undefined> = { job_id: job.id, status: rawStatus };
        let completedAt = status === 'completed' || status === 'failed' || status === 'cancelled' ? job.updatedAt : null;
        if (status === 'pending' || status === 'processing') {
          decide('interrupted-operations', 'jobs still created/pending/processing in the legacy install → cancelled operations (original status in metadata.legacy.status)', `job ${job.id}`);
          status = 'cancelled';
          error = error ?? INTERRUPTED_OPERATION_MESSAGE;
          completedAt = job.updatedAt;
        }
        const config: Record<string, unknown> = { source_path: r['directory_path'] ?? null };
        for (const k of ['model_name', 'chunk_size', 'chunk_overlap', 'batch_size', 'vector_dim', 'quantization', 'instruction', 'mode', 'parent_job_id']) {
          if (col('jobs', k) && r[k] !== undefined) config[k] = r[k];
        }
        const mode = col('jobs', 'mode') ? jobMode(r['mode']) : 'create';
        if (mode === undefined) jobConv.fail('mode', `unknown job mode ${JSON.stringify(r['mode'])} (expected create or append)`, 'unknown-enum');
        const values = [
          legacyIdToUuid('jobs', job.id).uuid, job.collection!.id, userId, mode === 'append' ? 'append' : 'index', status,
          canonicalJson(toJsonValue(config)), error, null, canonicalJson(metadataFrom(undefined, legacy)), job.createdAt,
          col('jobs', 'start_time') ? tsOrNull(r['start_time']) : null, completedAt,
        ];
        yield { key: job.key, values };
      }
    },
  };

  const documentsJob: TableJob = {
    table: 'documents',
    sourceTable: 'files',
    sourceRows: source.count('files'),
    columns: TARGET_COLUMNS.documents,
    identity: false,
    conversions: ['one document per content per collection (newest kept)', 'NULL hash → path-keyed', 'extension → mime_type', 'chunks_created → chunk_count'],
    rows: (afterKey) => documentRows(afterKey, false),
  };

  const reconciliation = (): ReconciliationRow[] => {
    const rows: ReconciliationRow[] = [];
    const add = (sourceTable: string, sourceRows: number, outcomes: Record<string, number>) =>
      rows.push({ sourceTable, sourceRows, outcomes, balanced: Object.values(outcomes).reduce((a, b) => a + b, 0) === sourceRows });
    add('users', source.count('users'), { 'imported (same id)': legacyUsers.length ? users.length : 0 });
    const unknown = jobs.filter((j) => !JOB_STATUS[String(j.row['status'] ?? '').toLowerCase()]).length;
    add('jobs', source.count('jobs'), { 'imported as operations': jobs.length - unknown, ...(unknown ? { 'not imported: unknown status (a problem)': unknown } : {}) });
    add('files', source.count('files'), fileOutcomes);
    if (source.hasTable('refresh_tokens')) add('refresh_tokens', source.count('refresh_tokens'), { 'not imported (users log in again)': source.count('refresh_tokens') });
    return rows;
  };
  if (source.hasTable('refresh_tokens') && source.count('refresh_tokens') > 0) {
    decide('refresh-tokens-skipped', 'refresh tokens not imported (bcrypt of a JWT, unusable by the new scheme): users log in again', undefined, source.count('refresh_tokens'));
  }

  return {
    format,
    tables: [usersJob, collectionsJob, sourcesJob, operationsJob, documentsJob],
    reconciliation,
    reindexCollections: () => collections.length,
  };
}

function idText(value: JsonValue): string {
  return value instanceof JsonNumber ? value.lexeme : String(value);
}

/** The target's content_hash: the legacy SHA-256 (or `symlink:` value) verbatim; NULL → keyed by path. */
function documentHash(contentHash: unknown, filePath: unknown): string {
  if (contentHash != null && contentHash !== '') return String(contentHash);
  return `path-sha256:${createHash('sha256').update(String(filePath)).digest('hex')}`;
}

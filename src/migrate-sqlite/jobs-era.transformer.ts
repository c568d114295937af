import path from 'node:path';
import { canonicalJson, type JsonValue, toJsonValue } from './canonical-json.js';
import { INTERRUPTED_OPERATION_MESSAGE, REINDEX_STATUS_MESSAGE, scanTable, TARGET_COLUMNS } from './collections-era.transformer.js';
import {
  documentHash,
  type FilePlan,
  JOB_STATUS,
  jobMode,
  jobsEra,
  type JobsEra,
  type LegacyJob,
  type LegacyJobs,
  type LegacyPeople,
  planCollections,
  planFiles,
  type PlannedCollection,
  readJobs,
  readUsers,
  tsOrNull,
} from './jobs-era.analysis.js';
import type { DetectedFormat } from './format-detector.js';
import { type ImportPlan, metadataFrom, type ProducedRow, RowConverter, type TableJob, type TransformOptions } from './import-plan.js';
import type { ImportRecorder, ReconciliationRow } from './report.js';
import type { SqliteSource } from './sqlite-source.js';
import { ConversionProblem, convertInteger, legacyIdToUuid, mimeTypeForExtension, uuidV5 } from './value-converters.js';

/**
 * Job-era files (contract/legacy-jobs-era-sqlite.md): users, jobs, files, refresh_tokens, with
 * collections implicit in job names. A transforming import: one collection per distinct job name,
 * jobs → operations, files → documents de-duplicated by content per collection (the newest copy
 * kept, the others listed in its metadata), sources = distinct directory paths, refresh tokens
 * dropped (bcrypt of a JWT: unusable by the new scheme). Every decision is recorded in the report,
 * and the reconciliation accounts for every source row.
 */
const DEFAULTS = { model: 'Qwen/Qwen3-Embedding-0.6B', chunkSize: 600, chunkOverlap: 200, quantization: 'float32' };
const FILE_STATUS = ['pending', 'processing', 'completed', 'failed'] as const;

export function buildJobsEraPlan(source: SqliteSource, format: DetectedFormat, recorder: ImportRecorder, _options: TransformOptions): ImportPlan {
  const era = jobsEra(source, format, recorder);
  const people = readUsers(era);
  const legacy = readJobs(era, people);
  const collections = planCollections(era, legacy);
  const files = planFiles(era, legacy.jobsById);
  // Tally once up front (collections and sources carry the counts; they come before documents in
  // foreign-key order). Muted: the engine's pass records the documents' decisions.
  const wasMuted = recorder.muted;
  recorder.muted = true;
  for (const _ of documentRows(era, legacy, files, 0, true)) void _;
  recorder.muted = wasMuted;
  if (source.hasTable('refresh_tokens') && source.count('refresh_tokens') > 0) {
    recorder.decide('refresh-tokens-skipped', 'refresh tokens not imported (bcrypt of a JWT, unusable by the new scheme): users log in again', undefined, source.count('refresh_tokens'));
  }

  return {
    format,
    tables: [usersTable(era, people), collectionsTable(era, collections, legacy.byName.size, people), sourcesTable(collections), operationsTable(era, legacy.jobs, people), documentsTable(era, legacy, files)],
    reconciliation: () => reconcile(era, people, legacy, files),
    reindexCollections: () => collections.length,
  };
}

/** Users as read (ids kept). */
function usersTable({ source }: JobsEra, { users }: LegacyPeople): TableJob {
  return {
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
}

/** Documents are counted per collection and source (tally) before those rows are produced. */
function* documentRows({ source, recorder, col, decide }: JobsEra, { jobsById }: LegacyJobs, { winnerByRowid, hasContentHash }: FilePlan, afterKey: number, tally: boolean): Generator<ProducedRow> {
  const fileConv = new RowConverter(recorder, 'files');
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

/** One collection per job name, owned by its create job's user (or the first superuser). */
function collectionsTable({ col, decide, format }: JobsEra, collections: PlannedCollection[], names: number, people: LegacyPeople): TableJob {
  return {
    table: 'collections',
    sourceTable: 'jobs (by name)',
    sourceRows: names,
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
          ownerId = people.firstSuperuser!;
        } else if (!people.userIds.has(ownerId)) {
          decide('owner-dangling', 'collections whose create job points at a missing user → owned by the first superuser', `${c.name}: user ${ownerId}`);
          ownerId = people.firstSuperuser!;
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
}

/** One source per distinct directory_path of a collection's jobs. */
function sourcesTable(collections: PlannedCollection[]): TableJob {
  return {
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
}

/** Jobs → operations; still active ones are cancelled (their task queue is gone). */
function operationsTable({ recorder, col, decide }: JobsEra, jobs: LegacyJob[], { userIds }: LegacyPeople): TableJob {
  return {
    table: 'operations',
    sourceTable: 'jobs',
    sourceRows: jobs.length,
    columns: TARGET_COLUMNS.operations,
    identity: false,
    conversions: ['create job → index, append job → append', 'status: created/scanning → pending, running → processing; still active → cancelled', 'settings → config jsonb'],
    *rows(afterKey) {
      const jobConv = new RowConverter(recorder, 'jobs');
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
}

/** The winning file rows as documents. */
function documentsTable(era: JobsEra, legacy: LegacyJobs, files: FilePlan): TableJob {
  return {
    table: 'documents',
    sourceTable: 'files',
    sourceRows: era.source.count('files'),
    columns: TARGET_COLUMNS.documents,
    identity: false,
    conversions: ['one document per content per collection (newest kept)', 'NULL hash → path-keyed', 'extension → mime_type', 'chunks_created → chunk_count'],
    rows: (afterKey) => documentRows(era, legacy, files, afterKey, false),
  };
}

/** Where every source row went. */
function reconcile({ source }: JobsEra, people: LegacyPeople, { jobs }: LegacyJobs, files: FilePlan): ReconciliationRow[] {
  const rows: ReconciliationRow[] = [];
  const add = (sourceTable: string, sourceRows: number, outcomes: Record<string, number>) =>
    rows.push({ sourceTable, sourceRows, outcomes, balanced: Object.values(outcomes).reduce((a, b) => a + b, 0) === sourceRows });
  add('users', source.count('users'), { 'imported (same id)': people.legacyUserCount ? people.users.length : 0 });
  const unknown = jobs.filter((j) => !JOB_STATUS[String(j.row['status'] ?? '').toLowerCase()]).length;
  add('jobs', source.count('jobs'), { 'imported as operations': jobs.length - unknown, ...(unknown ? { 'not imported: unknown status (a problem)': unknown } : {}) });
  add('files', source.count('files'), files.outcomes);
  if (source.hasTable('refresh_tokens')) add('refresh_tokens', source.count('refresh_tokens'), { 'not imported (users log in again)': source.count('refresh_tokens') });
  return rows;
}

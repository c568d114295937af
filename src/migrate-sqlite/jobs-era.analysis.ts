import { createHash } from 'node:crypto';
import { JsonNumber, type JsonValue, toJsonValue } from './canonical-json.js';
import { scanTable } from './collections-era.transformer.js';
import type { DetectedFormat } from './format-detector.js';
import { RowConverter } from './import-plan.js';
import type { ImportRecorder } from './report.js';
import type { SqliteSource } from './sqlite-source.js';
import { convertDatetime, uuidV5 } from './value-converters.js';

/**
 * The job era's analysis (contract/legacy-jobs-era-sqlite.md), before any row is produced: users;
 * jobs grouped by name into collections, each with one source per directory; and which file row
 * becomes the document of each content per collection. jobs-era.transformer.ts turns the result
 * into one table job per target table.
 */
export const EPOCH = '1970-01-01T00:00:00.000000Z';

export const JOB_STATUS: Record<string, 'pending' | 'processing' | 'completed' | 'failed' | 'cancelled'> = {
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

/** What every step reads: the file, its format, and where decisions go. */
export interface JobsEra {
  source: SqliteSource;
  format: DetectedFormat;
  recorder: ImportRecorder;
  col: (table: string, name: string) => boolean;
  decide: ImportRecorder['decide'];
}

export function jobsEra(source: SqliteSource, format: DetectedFormat, recorder: ImportRecorder): JobsEra {
  return { source, format, recorder, col: (table, name) => source.hasColumn(table, name), decide: recorder.decide.bind(recorder) };
}

/** jobs.mode: NULL/'' meant create (the column's server default); only create and append were written. */
export function jobMode(raw: unknown): 'create' | 'append' | undefined {
  if (raw === null || raw === undefined || raw === '') return 'create';
  const lower = typeof raw === 'string' ? raw.toLowerCase() : undefined;
  return lower === 'create' || lower === 'append' ? lower : undefined;
}

export interface LegacyUser {
  key: number;
  id: number;
  values: unknown[];
}

export interface LegacyJob {
  key: number;
  id: string;
  name: string;
  createdAt: string;
  updatedAt: string;
  row: Record<string, unknown>;
  collection?: PlannedCollection;
}

export interface PlannedCollection {
  key: number;
  id: string;
  name: string;
  createJob: LegacyJob;
  jobs: LegacyJob[];
  sources: Map<string, { id: number; jobs: LegacyJob[]; documents: number; bytes: number }>;
  documents: number;
  bytes: number;
}

export interface FileCopy {
  file_id: JsonValue;
  job_id: string;
  path: string;
}

export interface FileWinner {
  rowid: number;
  jobCreatedAt: string;
  entry: FileCopy;
  duplicates: FileCopy[];
}

export function tsOrNull(value: unknown): string | null {
  if (value === null || value === undefined || value === '') return null;
  try {
    return convertDatetime(value);
  } catch {
    return null;
  }
}

export interface LegacyPeople {
  users: LegacyUser[];
  userIds: Set<number>;
  /** Rows read from the source users table. */
  legacyUserCount: number;
  firstSuperuser: number | undefined;
}

export interface LegacyJobs {
  jobs: LegacyJob[];
  jobsById: Map<string, LegacyJob>;
  byName: Map<string, LegacyJob[]>;
}

export interface FilePlan {
  /** Per outcome ("imported as a document", …), how many file rows: the reconciliation's. */
  outcomes: Record<string, number>;
  hasContentHash: boolean;
  /** The file rows that become documents, by rowid, each with the copies merged into it. */
  winnerByRowid: Map<number, FileWinner>;
}

/** Users in id order (the first becomes superuser), names and emails made unique ignoring case. */
export function readUsers({ source, recorder, decide }: JobsEra): LegacyPeople {
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
  const firstSuperuser = users.length ? Math.min(...users.map((u) => u.id)) : undefined;
  return { users, userIds, legacyUserCount: legacyUsers.length, firstSuperuser };

}

/** Every job and the jobs of each name; a disabled placeholder owner when there are jobs but no users. */
export function readJobs({ source, col, decide }: JobsEra, people: LegacyPeople): LegacyJobs {
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
  if (jobs.length > 0 && people.firstSuperuser === undefined) {
    people.firstSuperuser = 1;
    decide('placeholder-owner', 'the file has jobs but no users: a disabled superuser "legacy-import" (id 1) owns the collections', 'user 1');
    people.users.push({ key: 1, id: 1, values: [1, 'legacy-import', 'legacy-import@legacy.invalid', null, '!', false, true, EPOCH, EPOCH, null] });
    people.userIds.add(1);
  }

  return { jobs, jobsById, byName };
}

/** One collection per distinct job name (settings from its create job), one source per directory. */
export function planCollections({ col, decide }: JobsEra, { jobsById, byName }: LegacyJobs): PlannedCollection[] {
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

  return collections;
}

/** Pass 1 over files (ids, job, path, hash only): every content key of a collection → its newest copy. */
export function planFiles({ source, col, decide }: JobsEra, jobsById: ReadonlyMap<string, LegacyJob>): FilePlan {
  const fileOutcomes: Record<string, number> = {};
  const count = (outcome: string) => (fileOutcomes[outcome] = (fileOutcomes[outcome] ?? 0) + 1);
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

  return { outcomes: fileOutcomes, hasContentHash, winnerByRowid };
}

export function idText(value: JsonValue): string {
  return value instanceof JsonNumber ? value.lexeme : String(value);
}

/** The target's content_hash: the legacy SHA-256 (or `symlink:` value) verbatim; NULL → keyed by path. */
export function documentHash(contentHash: unknown, filePath: unknown): string {
  if (contentHash != null && contentHash !== '') return String(contentHash);
  return `path-sha256:${createHash('sha256').update(String(filePath)).digest('hex')}`;
}

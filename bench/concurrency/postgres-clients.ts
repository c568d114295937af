/**
 * The PostgreSQL side of bench:concurrency: the workload of workload.ts through Semantik's own
 * write path — one unit of work per operation (inUnitOfWork), the repositories' statements, the
 * server pool sized to the client count — against a throwaway database migrated to the real schema.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Database } from '../../src/db/database.js';
import { repositoriesFor } from '../../src/db/repositories.js';
import { inUnitOfWork } from '../../src/db/unit-of-work.js';
import { createBenchDatabase } from '../bench-support.js';
import { CHUNKS_PER_DOCUMENT, COLLECTION_EVERY, mergeRuns, type ClientResult, type ClientSpec, type RunResult } from './workload.js';

async function runClient(database: Database, spec: ClientSpec, ownerId: number, clientIndex: number): Promise<ClientResult> {
  const deadline = Date.now() + spec.seconds * 1000;
  const latencies: number[] = [];
  let ops = 0;
  let errors = 0;
  let collectionId: string | undefined;
  for (let k = 0; Date.now() < deadline; k++) {
    const started = performance.now();
    try {
      if (k % COLLECTION_EVERY === 0 || !collectionId) {
        const name = `bench-${clientIndex}-${k}`;
        collectionId = await inUnitOfWork(database, async (tx) => {
          const created = await repositoriesFor(tx).collections.insert({ name, owner_id: ownerId, vector_store_name: name, embedding_model: 'bench' });
          if (spec.thinkMs) await sleep(spec.thinkMs);
          return created.id;
        });
      } else {
        const target = collectionId;
        await inUnitOfWork(database, async (tx) => {
          const repos = repositoriesFor(tx);
          const documentId = randomUUID();
          await repos.documents.insert({
            id: documentId,
            collection_id: target,
            file_path: `/bench/${documentId}.txt`,
            file_name: `${documentId}.txt`,
            file_size: 4096,
            content_hash: documentId,
            status: 'completed',
          });
          if (spec.thinkMs) await sleep(spec.thinkMs);
          await repos.chunks.insertMany(
            Array.from({ length: CHUNKS_PER_DOCUMENT }, (_, i) => ({
              collection_id: target,
              document_id: documentId,
              generation: 1,
              chunk_index: i,
              text: spec.texts[(k * CHUNKS_PER_DOCUMENT + i) % spec.texts.length]!,
              metadata: { page: 1 },
            })),
          );
        });
      }
      ops++;
      latencies.push(performance.now() - started);
    } catch {
      errors++;
    }
  }
  return { ops, errors, latencies };
}

export async function runPostgresClients(spec: ClientSpec): Promise<RunResult> {
  const bench = await createBenchDatabase('semantik_bench_concurrency', { DB_POOL_SIZE: String(spec.clients), DB_MAX_OVERFLOW: '0' });
  try {
    const owner = await inUnitOfWork(bench.database, (tx) =>
      repositoriesFor(tx).users.insert({ username: 'bench', email: 'bench@example.test', hashed_password: 'x' }),
    );
    const started = performance.now();
    const parts = await Promise.all(Array.from({ length: spec.clients }, (_, i) => runClient(bench.database, spec, owner.id, i)));
    return mergeRuns(parts, (performance.now() - started) / 1000);
  } finally {
    await bench.drop();
  }
}

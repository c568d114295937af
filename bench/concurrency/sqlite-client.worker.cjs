// One bench:concurrency client on the SQLite baseline: its own better-sqlite3 connection in its own
// thread (better-sqlite3 is synchronous, so N concurrent clients need N threads — as the legacy
// app had one connection per request thread and per worker process). Plain CommonJS so the worker
// needs no TypeScript loader. The operations mirror workload.ts and postgres-clients.ts.
const { parentPort, workerData } = require('node:worker_threads');
const { randomUUID } = require('node:crypto');
const Sqlite = require('better-sqlite3');

const { file, seconds, thinkMs, texts, ownerId, clientIndex, chunksPerDocument, collectionEvery } = workerData;
const db = new Sqlite(file);
// SQLAlchemy's default wait for the write lock; past it the transaction fails with SQLITE_BUSY.
db.pragma('busy_timeout = 5000');
// Per connection in SQLite: without it the REFERENCES clauses are not enforced (PostgreSQL always does).
db.pragma('foreign_keys = ON');
// Every commit fsyncs the WAL, as PostgreSQL's synchronous_commit = on does (WAL's usual NORMAL
// would let a power cut lose the last commits).
db.pragma('synchronous = FULL');

const insertCollection = db.prepare(
  'INSERT INTO collections (id, name, owner_id, vector_store_name, embedding_model) VALUES (?, ?, ?, ?, ?)',
);
const insertDocument = db.prepare(
  "INSERT INTO documents (id, collection_id, file_path, file_name, file_size, content_hash, status) VALUES (?, ?, ?, ?, ?, ?, 'completed')",
);
const insertChunk = db.prepare(
  'INSERT INTO chunks (id, collection_id, document_id, generation, chunk_index, text, metadata) VALUES (?, ?, ?, 1, ?, ?, ?)',
);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function inTransaction(work) {
  db.exec('BEGIN IMMEDIATE');
  try {
    await work();
    db.exec('COMMIT');
  } catch (err) {
    if (db.inTransaction) db.exec('ROLLBACK');
    throw err;
  }
}

async function createCollection(k) {
  const id = randomUUID();
  const name = `bench-${clientIndex}-${k}`;
  await inTransaction(async () => {
    insertCollection.run(id, name, ownerId, name, 'bench');
    if (thinkMs) await sleep(thinkMs);
  });
  return id;
}

async function indexDocument(collectionId, k) {
  await inTransaction(async () => {
    const documentId = randomUUID();
    insertDocument.run(documentId, collectionId, `/bench/${documentId}.txt`, `${documentId}.txt`, 4096, documentId);
    if (thinkMs) await sleep(thinkMs);
    for (let i = 0; i < chunksPerDocument; i++) {
      insertChunk.run(randomUUID(), collectionId, documentId, i, texts[(k * chunksPerDocument + i) % texts.length], '{"page":1}');
    }
  });
}

(async () => {
  const deadline = Date.now() + seconds * 1000;
  const latencies = [];
  let ops = 0;
  let errors = 0;
  let collectionId;
  for (let k = 0; Date.now() < deadline; k++) {
    const started = performance.now();
    try {
      if (k % collectionEvery === 0 || !collectionId) collectionId = await createCollection(k);
      else await indexDocument(collectionId, k);
      ops++;
      latencies.push(performance.now() - started);
    } catch (err) {
      if (!String(err.code).startsWith('SQLITE_BUSY')) throw err;
      errors++;
    }
  }
  db.close();
  parentPort.postMessage({ ops, errors, latencies });
})();

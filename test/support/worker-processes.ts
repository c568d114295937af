import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const BIN = path.resolve(import.meta.dirname, '..', '..', 'bin', 'semantik.js');

/**
 * Real `semantik worker` processes for the crash tests: a 3 s lease so a SIGKILLed worker's
 * operation is taken over quickly, and one document per batch so hundreds of commits happen and a
 * kill lands mid-operation. `killAll()` in afterAll: a leftover child fails the file (leak check).
 */
export class WorkerProcesses {
  private readonly children: ChildProcess[] = [];

  constructor(private readonly settings: () => { databaseUrl: string | undefined; documentRoot: string }) {}

  start(): ChildProcess {
    const { databaseUrl, documentRoot } = this.settings();
    const child = spawn(process.execPath, [BIN, 'worker', '--concurrency', '1'], {
      env: {
        ...process.env,
        DATABASE_URL: databaseUrl,
        SEMANTIK_DOCUMENT_ROOTS: documentRoot,
        SEMANTIK_JOB_LEASE_SECONDS: '3',
        SEMANTIK_INDEX_BATCH_DOCUMENTS: '1',
        SEMANTIK_FROM_SOURCE: '1',
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    // Read stderr (an unread pipe would block a chatty child) and show it if the worker died on its own.
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += String(d)));
    child.on('exit', (code, signal) => {
      if (code !== 0 && signal !== 'SIGKILL') console.error(`worker exited ${code ?? signal}:\n${stderr}`);
    });
    this.children.push(child);
    return child;
  }

  killAll(): void {
    for (const child of this.children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

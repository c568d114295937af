import { Command } from 'commander';
import { registerDbCommands } from '../db/db.commands.js';
import { registerMigrateSqliteCommands } from '../migrate-sqlite/migrate-sqlite.commands.js';
import { registerServeCommands } from '../http/serve.commands.js';
import { registerUserCommands } from '../users/user.commands.js';
import { registerWorkerCommands } from '../worker/worker.commands.js';
import { registerBackupCommands } from '../backup/backup.commands.js';
import { registerMcpCommands } from '../mcp/mcp.commands.js';
import { registerSyncCommands } from '../sync/sync.commands.js';

/**
 * The `semantik` command. Each capability registers its own commands from its folder
 * (`<capability>/<name>.commands.ts`); this file only wires them together.
 */
export function buildProgram(): Command {
  const program = new Command();
  program.name('semantik').description('Private, self-hosted semantic search on PostgreSQL + pgvector').version('0.1.0');
  registerDbCommands(program);
  registerMigrateSqliteCommands(program);
  registerServeCommands(program);
  registerUserCommands(program);
  registerWorkerCommands(program);
  registerBackupCommands(program);
  registerMcpCommands(program);
  registerSyncCommands(program);
  return program;
}

await buildProgram().parseAsync(process.argv);

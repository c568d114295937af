import type { Command } from 'commander';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { authenticateApiKey, looksLikeApiKey } from '../api-keys/api-key.service.js';
import { CliUsageError, withCli } from '../cli/cli-context.js';
import { migrationStatus } from '../db/migrator.js';
import { repositoriesFor } from '../db/repositories.js';
import { inUnitOfWork } from '../db/unit-of-work.js';
import { createEmbeddingProvider } from '../ingest/embedding/embedding.registry.js';
import { cachedEmbedderLookup } from '../search/query-embedder.js';
import { createMcpServer } from './mcp.server.js';

/**
 * `semantik mcp`: the MCP server over stdio, for desktop assistants that start it as a child
 * process. stdout carries only the protocol: logs and errors go to stderr.
 */
export function registerMcpCommands(program: Command): void {
  program
    .command('mcp')
    .description('MCP server over stdio (read-only search tools) for AI assistants; authenticates with SEMANTIK_API_KEY')
    .action(() =>
      withCli(
        async (ctx) => {
          const apiKey = process.env.SEMANTIK_API_KEY?.trim();
          if (!apiKey) {
            throw new CliUsageError(
              'SEMANTIK_API_KEY is not set: create an API key (web UI → API keys, or POST /api/v2/api-keys; a "read" key is enough) and set it in the assistant\'s MCP server environment',
            );
          }
          if (!looksLikeApiKey(apiKey)) throw new CliUsageError('SEMANTIK_API_KEY must be an API key (smk_…), not a password or access token');
          const database = await ctx.openDatabase();
          const { pending } = await migrationStatus(database.db);
          if (pending > 0) {
            throw new CliUsageError(`The database has ${pending} pending migration(s): run \`semantik db migrate\` (or start \`semantik serve\` once) first`);
          }
          // Looked up on every tool call, like every HTTP request: revocation takes effect at once.
          const principalOf = () => inUnitOfWork(database, (tx) => authenticateApiKey(repositoriesFor(tx), apiKey));
          const principal = await principalOf();
          const embedders = cachedEmbedderLookup((model) => createEmbeddingProvider(model));
          const server = createMcpServer({ database, embedders, logger: ctx.logger }, principalOf);
          const transport = new StdioServerTransport();
          const closed = new Promise<void>((resolve) => {
            transport.onclose = resolve;
            // The assistant closing our stdin is how it ends the session.
            process.stdin.once('end', resolve);
            process.once('SIGINT', resolve);
            process.once('SIGTERM', resolve);
          });
          await server.connect(transport);
          ctx.logger.info({ user: principal.user.username, database: database.target }, 'MCP server on stdio');
          await closed;
          await server.close().catch(() => {});
          await embedders.close();
        },
        { logToStderr: true },
      ),
    );
}

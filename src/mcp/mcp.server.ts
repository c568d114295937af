import { randomUUID } from 'node:crypto';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { DomainError } from '../errors/domain-errors.js';
import type { Principal } from '../access/principal.js';
import type { Logger } from '../shared/logger.js';
import { DEFAULT_PAGE_CHARS, MAX_PAGE_CHARS } from '../documents/document-text.service.js';
import { getDocumentToolInput, listCollectionsToolInput, MAX_LISTED_COLLECTIONS, MAX_PASSAGE_CHARS, MCP_MAX_K, searchToolInput } from './mcp.schema.js';
import { getDocumentTool, listCollectionsTool, searchTool, type McpToolDeps } from './mcp.tools.js';

export interface McpDeps extends McpToolDeps {
  logger: Logger;
}

/**
 * Who is calling, asked again on every tool call. Over HTTP it is the principal the request
 * authenticated as; over stdio it looks the API key up again, so a key revoked while an assistant
 * is running stops working at its next call (as the HTTP API does on its next request).
 */
export type PrincipalSource = () => Promise<Principal>;

const INSTRUCTIONS =
  'Semantik searches the user\'s own indexed documents. Use list_collections to see what can be searched, ' +
  'search to find passages (answers name the file, its path and the matching passage), and get_document ' +
  'with a result\'s document_id to read more of that document page by page. Everything is read-only.';

/** Only domain errors carry text meant for the caller; anything else is logged and named by an id. */
async function asToolResult(logger: Logger, tool: string, work: () => Promise<Record<string, unknown>>): Promise<CallToolResult> {
  try {
    const value = await work();
    return { content: [{ type: 'text', text: JSON.stringify(value) }], structuredContent: value };
  } catch (err) {
    if (err instanceof DomainError) return { isError: true, content: [{ type: 'text', text: err.message }] };
    const errorId = randomUUID();
    logger.error({ err, tool, errorId }, 'MCP tool failed');
    return { isError: true, content: [{ type: 'text', text: `Internal error in ${tool} (error id ${errorId}); the server log has the details` }] };
  }
}

/** One MCP server over the read-only tools, acting as `principal`. Cheap: HTTP builds one per request. */
export function createMcpServer(deps: McpDeps, principal: Principal | PrincipalSource): McpServer {
  const principalOf: PrincipalSource = typeof principal === 'function' ? principal : async () => principal;
  const server = new McpServer({ name: 'semantik', version: '0.1.0' }, { instructions: INSTRUCTIONS });
  const annotations = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false };

  server.registerTool(
    'search',
    {
      title: 'Search documents',
      description:
        'Search the indexed documents for passages matching a query. Returns up to k documents, best first, each with ' +
        `file_name, file_path, collection, score and the matching passage (≤ ${MAX_PASSAGE_CHARS} characters), not the whole document. ` +
        `k is at most ${MCP_MAX_K}. Use get_document with a result's document_id to read more of it.`,
      inputSchema: searchToolInput,
      annotations,
    },
    async (args) => asToolResult(deps.logger, 'search', async () => searchTool(deps, await principalOf(), args)),
  );

  server.registerTool(
    'list_collections',
    {
      title: 'List collections',
      description:
        'The collections you can search (yours, shared with you, public): id, name, description, status, ' +
        `document and vector counts, embedding model. Up to ${MAX_LISTED_COLLECTIONS}, by name.`,
      inputSchema: listCollectionsToolInput,
      annotations,
    },
    async (args) => asToolResult(deps.logger, 'list_collections', async () => listCollectionsTool(deps, await principalOf(), args)),
  );

  server.registerTool(
    'get_document',
    {
      title: 'Read a document',
      description:
        `A document's metadata and one page of its extracted text (default ${DEFAULT_PAGE_CHARS}, at most ${MAX_PAGE_CHARS} characters), by the ` +
        'document_id of a search result. Pages follow the document\'s chunks: pass next_from_chunk as from_chunk to read ' +
        'the next page; next_from_chunk is null at the end.',
      inputSchema: getDocumentToolInput,
      annotations,
    },
    async (args) => asToolResult(deps.logger, 'get_document', async () => getDocumentTool(deps, await principalOf(), args)),
  );

  return server;
}

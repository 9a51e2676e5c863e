/** Suggestions for a mistyped identifier: edit distance first, then shared substrings. */

/** Levenshtein distance, two rows of memory. */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1;
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** Up to `limit` candidates close to `wanted`, best first. */
export function closeMatches(wanted: string, candidates: Iterable<string>, limit = 3): string[] {
  const needle = wanted.toLowerCase();
  const slug = needle.includes('/') ? needle.slice(needle.indexOf('/') + 1) : needle;
  const scored: Array<{ candidate: string; score: number }> = [];
  for (const candidate of candidates) {
    const lower = candidate.toLowerCase();
    const candidateSlug = lower.slice(lower.indexOf('/') + 1);
    let score = Math.min(editDistance(needle, lower), editDistance(slug, candidateSlug) + 1);
    if (slug.length >= 3 && (candidateSlug.includes(slug) || slug.includes(candidateSlug))) score = Math.min(score, 2);
    const budget = Math.max(3, Math.floor(needle.length / 3));
    if (score <= budget) scored.push({ candidate, score });
  }
  scored.sort((left, right) => left.score - right.score || left.candidate.localeCompare(right.candidate));
  return scored.slice(0, limit).map((entry) => entry.candidate);
}

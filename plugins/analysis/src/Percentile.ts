/**
 * Percentiles as Victor reports them: nearest rank, so that every percentile is a duration that really occurred.
 */

/**
 * The `p`-th percentile (0 < p <= 100) of values sorted ascending, by nearest rank: the smallest value such that at
 * least p% of the values are at most it, i.e. `sorted[ceil(p / 100 * n) - 1]`. 0 for no values.
 */
export const nearestRank = (sorted: ArrayLike<number>, p: number): number => {
  if (sorted.length === 0) return 0
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length))
  return sorted[Math.min(rank, sorted.length) - 1]!
}

/** The median of values (any order): the middle one, or the mean of the two middle ones. 0 for no values. */
export const median = (values: ReadonlyArray<number>): number => {
  if (values.length === 0) return 0
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

/**
 * Span ids, fast: a 100,000-node trace needs 200,000 of them.
 *
 * - A node's span id is `TraceContext.spanIdOf(trace id, node id, iteration, attempt)`, the id the executor gives a
 *   node's processes in `TRACEPARENT`. It is computed here by the same hash (FNV-1a over UTF-16 code units, two
 *   seeded 32-bit words, each with a final avalanche), with the state after the trace's prefix kept, so that each
 *   node hashes only its own id and numbers instead of the whole key. A test holds it equal to `TraceContext.spanIdOf`.
 * - A model or tool call's span id is mixed from its node's two words, what the call is and its position (murmur3's
 *   finalizer on each half, the halves chained): a few arithmetic steps, deterministic.
 */

/**
 * What a child span is, mixed into its id so that a node's first model call and first tool call differ (`span`: an
 * Effect span whose recorded id cannot be used).
 */
export const kind = { model: 0x6d6f646c, tool: 0x746f6f6c, span: 0x7370616e } as const

const offsetBasis = 0x811c9dc5
const prime = 0x01000193
const seeds = [Math.imul(1, 0x9e3779b9), Math.imul(2, 0x9e3779b9)] as const

const feed = (hash: number, text: string): number => {
  let h = hash
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, prime) >>> 0
  }
  return h
}

const feedChar = (hash: number, code: number): number => Math.imul(hash ^ code, prime) >>> 0

const feedNumber = (hash: number, value: number): number =>
  // A one-digit number (most iterations and attempts) without making its text.
  Number.isInteger(value) && value >= 0 && value < 10 ? feedChar(hash, 48 + value) : feed(hash, String(value))

const avalanche = (hash: number): number => {
  let h = hash
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b) >>> 0
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35) >>> 0
  h ^= h >>> 16
  return h >>> 0
}

const digits = Array.from("0123456789abcdef", (digit) => digit.charCodeAt(0))

/** Two 32-bit words as 16 hex digits, one flat string; the all-zero id (invalid) is nudged as `TraceContext` does. */
export const hex16 = (high: number, low: number): string =>
  high === 0 && low === 0 ? "0000000000000001" : String.fromCharCode(
    digits[(high >>> 28) & 15]!,
    digits[(high >>> 24) & 15]!,
    digits[(high >>> 20) & 15]!,
    digits[(high >>> 16) & 15]!,
    digits[(high >>> 12) & 15]!,
    digits[(high >>> 8) & 15]!,
    digits[(high >>> 4) & 15]!,
    digits[high & 15]!,
    digits[(low >>> 28) & 15]!,
    digits[(low >>> 24) & 15]!,
    digits[(low >>> 20) & 15]!,
    digits[(low >>> 16) & 15]!,
    digits[(low >>> 12) & 15]!,
    digits[(low >>> 8) & 15]!,
    digits[(low >>> 4) & 15]!,
    digits[low & 15]!
  )

/**
 * The node span ids of one trace: `(nodeId, iteration, attempt, words, at)` is
 * `TraceContext.spanIdOf(victorTraceId, nodeId, iteration, attempt)`, and leaves the id's two 32-bit words in
 * `words[2 * at]` and `words[2 * at + 1]` for {@link childSpanIdOf}.
 */
export const nodeSpanIds = (victorTraceId: string) => {
  const prefix = `span:${victorTraceId}\u0000`
  const start0 = feed((offsetBasis ^ seeds[0]) >>> 0, prefix)
  const start1 = feed((offsetBasis ^ seeds[1]) >>> 0, prefix)
  const word = (start: number, nodeId: string, iteration: number, attempt: number): number =>
    avalanche(feedNumber(feedChar(feedNumber(feedChar(feed(start, nodeId), 0), iteration), 0), attempt))
  return (nodeId: string, iteration: number, attempt: number, words: Uint32Array, at: number): string => {
    const high = word(start0, nodeId, iteration, attempt)
    const low = word(start1, nodeId, iteration, attempt)
    words[2 * at] = high
    words[2 * at + 1] = low
    return hex16(high, low)
  }
}

/** The span id of the `position`-th (from 0) call of one `kind` under the span whose words are `high` and `low`. */
export const childSpanIdOf = (high: number, low: number, what: number, position: number): string => {
  const mixedHigh = avalanche((high ^ Math.imul(position + 1, 0x9e3779b9) ^ what) >>> 0)
  const mixedLow = avalanche((low ^ Math.imul(mixedHigh, 0x27d4eb2f) ^ Math.imul(position + 1, 0x165667b1)) >>> 0)
  return hex16(mixedHigh, mixedLow)
}

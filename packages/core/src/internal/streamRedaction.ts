/**
 * Redaction of a text that arrives in pieces (a command's stdout on its way to a blob), with nothing but a redactor's
 * `text`: what it gives out is what `text` would have made of the whole text, for every match (a secret value, a
 * pattern's match, a URL's password) up to `window` characters long, wherever the pieces were cut.
 *
 * The last `window` characters are always held back: a secret may begin there and end in text not yet seen. Of the
 * rest, a part is given out only where cutting cannot split a match:
 * - nothing is redacted in what is held: everything before the held-back tail goes out as it is (no match of at most
 *   `window` characters can reach over the cut without being inside the held text, where `text` would have found it);
 * - the held-back tail is unchanged by `text` (its common suffix with the redacted text is longer than `window`):
 *   everything redacted before it goes out;
 * - else the redacted halves on either side of the cut, put together, are the redacted whole (no match spans it);
 *   when a match spans the cut, the same is asked of cuts up to 512 characters before it (between two secrets
 *   printed one after the other), those that look clean in the text around them first.
 * When none holds more text is awaited. If that goes on for `limit` characters (long secrets printed back to back),
 * the rest of the output is withheld rather than risk cutting through one: what went out ends with `REDACTED`, and
 * nothing more follows. Over-redaction is the failure mode, never a leak.
 *
 * Pieces are never cut between the two halves of a surrogate pair, so that each piece is well-formed text (its JSON
 * is the JSON of that part of the whole).
 */
import { REDACTED } from "../Redaction.ts"

/** A redactor for one text given in pieces. */
export interface StreamRedactor {
  /** Adds text; gives the redacted text that is now final (often empty). */
  readonly push: (text: string) => string
  /** The redacted rest, once the text has ended. */
  readonly end: () => string
}

/** How a stream redactor cuts: sizes in UTF-16 code units. */
export interface StreamRedactionOptions {
  /** The longest match guaranteed to be found whole; this much is always held back. */
  readonly window: number
  /** How much text beyond the window is gathered before a cut is tried. */
  readonly segment: number
  /** How much text may be held while no safe cut is found, before the rest is withheld. */
  readonly limit: number
}

const isHighSurrogate = (code: number) => code >= 0xd800 && code <= 0xdbff

/** How far before the preferred cut other cuts are looked for, when a match spans it. */
const NEARBY = 512
/** How much text on either side of a cut the cheap look checks. */
const PROBE = 4096
/** How many cuts that look clean are checked against the whole text, at most, per try. */
const MAX_ASKED = 4

/** A cut at or before `at` that does not split a surrogate pair. */
const safeCut = (s: string, at: number): number => (at > 0 && isHighSurrogate(s.charCodeAt(at - 1)) ? at - 1 : at)

/** The length of the common suffix of two strings, counted up to `max`. */
const commonSuffix = (a: string, b: string, max: number): number => {
  let n = 0
  const limit = Math.min(a.length, b.length, max)
  while (n < limit && a.charCodeAt(a.length - 1 - n) === b.charCodeAt(b.length - 1 - n)) n++
  return n
}

/** A stream redactor over `text`. With the identity for `text`, it gives the text back with no cut at all. */
export const make = (text: (s: string) => string, options: StreamRedactionOptions): StreamRedactor => {
  const { limit, segment, window } = options
  let pending = ""
  // How long `pending` was at the last try that found no safe cut: the next try waits for a segment more.
  let triedAt = 0
  let withheld = false

  // Whether cutting at `at` splits `pending` into two parts that, redacted apart, make the redacted whole.
  const splitsCleanly = (at: number, whole: string): string | undefined => {
    const left = text(pending.slice(0, at))
    if (!whole.startsWith(left)) return undefined
    const right = text(pending.slice(at))
    return left.length + right.length === whole.length && whole.endsWith(right) ? left : undefined
  }

  // The same question asked of the text around `at` only: cheap, to pick the cuts worth asking about the whole.
  const looksClean = (at: number): boolean => {
    const from = Math.max(0, at - PROBE)
    const to = Math.min(pending.length, at + PROBE)
    const around = text(pending.slice(from, to))
    const left = text(pending.slice(from, at))
    return around.startsWith(left) && around.length === left.length + text(pending.slice(at, to)).length
  }

  const cut = (): string => {
    const whole = text(pending)
    const at = safeCut(pending, pending.length - window)
    if (whole === pending) {
      const out = pending.slice(0, at)
      pending = pending.slice(at)
      return out
    }
    // The held-back tail unchanged: what precedes it in the redacted text is final.
    const keep = pending.length - at
    if (commonSuffix(whole, pending, keep + 1) > keep) {
      const out = whole.slice(0, whole.length - keep)
      pending = pending.slice(at)
      return out
    }
    // A match spans `at`: a cut a little before it, between two matches (secrets printed one after another).
    let asked = 0
    for (let candidate = at; candidate > 0 && candidate >= at - NEARBY && asked < MAX_ASKED; candidate--) {
      if (isHighSurrogate(pending.charCodeAt(candidate - 1)) || !looksClean(candidate)) continue
      asked++
      const left = splitsCleanly(candidate, whole)
      if (left !== undefined) {
        pending = pending.slice(candidate)
        return left
      }
    }
    if (pending.length > limit) {
      withheld = true
      pending = ""
      return REDACTED
    }
    triedAt = pending.length
    return ""
  }

  return {
    push: (piece) => {
      if (withheld) return ""
      pending += piece
      if (pending.length < window + segment || pending.length < triedAt + segment) return ""
      triedAt = 0
      return cut()
    },
    end: () => {
      if (withheld) return ""
      const out = text(pending)
      pending = ""
      return out
    }
  }
}

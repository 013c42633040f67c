/**
 * Regression thresholds as users write them: an absolute slowdown (`0.5s`, `500ms`) or a relative one (`20%`).
 */
import * as Either from "effect/Either"

/** The thresholds a node's slowdown must pass to count as a regression; absent ones do not apply. */
export interface Thresholds {
  /** Seconds by which a node must slow down. */
  readonly absoluteSeconds?: number
  /** Fraction of the base duration by which a node must slow down (0.2 for 20%). */
  readonly relative?: number
}

/** The thresholds used when none is given: the guide's 500 ms slowdown. */
export const defaults: Thresholds = { absoluteSeconds: 0.5 }

/**
 * Parses one threshold: `0.5s`, `500ms`, a bare number of seconds (`0.5`), or a percentage (`20%`). The error is a
 * sentence that says what is accepted.
 */
export const parse = (text: string): Either.Either<Thresholds, string> => {
  const match = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*(ms|s|%)?\s*$/.exec(text)
  if (match === null) {
    return Either.left(`invalid threshold '${text}': give seconds (0.5s, 500ms) or a percentage (20%)`)
  }
  const value = Number(match[1])
  switch (match[2]) {
    case "%":
      return Either.right({ relative: value / 100 })
    case "ms":
      return Either.right({ absoluteSeconds: value / 1000 })
    default:
      return Either.right({ absoluteSeconds: value })
  }
}

/** Combines parsed thresholds (a later value of the same kind wins); none gives `defaults`. */
export const combine = (all: ReadonlyArray<Thresholds>): Thresholds =>
  all.length === 0 ? defaults : all.reduce((acc, t) => ({ ...acc, ...t }), {})

/**
 * Whether a slowdown is a regression: it must be positive and strictly past every threshold given, the absolute one
 * in seconds and the relative one as a fraction of the base duration (a base of 0 makes any slowdown infinitely
 * relative). A speed-up is an improvement when `exceeds(thresholds, base, -delta)`.
 */
export const exceeds = (thresholds: Thresholds, baseSeconds: number, deltaSeconds: number): boolean => {
  if (!(deltaSeconds > 0)) return false
  if (thresholds.absoluteSeconds !== undefined && !(deltaSeconds > thresholds.absoluteSeconds)) return false
  if (thresholds.relative !== undefined) {
    const ratio = baseSeconds > 0 ? deltaSeconds / baseSeconds : Infinity
    if (!(ratio > thresholds.relative)) return false
  }
  return true
}

/** A human description, e.g. `> 0.50s and > 20%`. */
export const describe = (thresholds: Thresholds): string =>
  [
    ...(thresholds.absoluteSeconds === undefined ? [] : [`> ${thresholds.absoluteSeconds}s`]),
    ...(thresholds.relative === undefined ? [] : [`> ${Math.round(thresholds.relative * 10000) / 100}%`])
  ].join(" and ") || "any slowdown"

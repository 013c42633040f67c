/**
 * How the expression modules signal an error. Parsing and evaluation throw a private `Failure` that never leaves
 * them: `parse` and `evaluate` catch it and return an `Either`, which keeps the descent readable without threading
 * results by hand.
 */

/** Why an expression could not be parsed or evaluated; `position` is 1-based within the source. */
export interface Problem {
  readonly description: string
  readonly position?: number
}

/** Thrown inside the expression modules only; `parse` and `evaluate` turn it into an `Either`. */
export class Failure {
  constructor(readonly problem: Problem) {}
}

/** Stops parsing or evaluation with a problem. */
export const fail = (description: string, position?: number): never => {
  throw new Failure(position === undefined ? { description } : { description, position })
}

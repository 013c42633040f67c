/** The words the expression language gives a meaning of its own, which no name or keyword argument may take. */

/** `True`, `None` and the like, with their JSON spellings (`true`, `null`) too. */
export const keywordLiterals: Readonly<Record<string, unknown>> = {
  true: true,
  false: false,
  null: null,
  True: true,
  False: false,
  None: null
}

/** The operators spelled as words, and the words of conditional expressions. */
export const reserved: ReadonlySet<string> = new Set(["and", "or", "not", "in", "is", "if", "else"])

/** Python words that start something this language does not have. */
export const unsupported: ReadonlySet<string> = new Set([
  "lambda",
  "for",
  "while",
  "def",
  "class",
  "import",
  "from",
  "return",
  "yield",
  "await"
])

/** Whether a word may be bound by a `for` or name a keyword argument: not a keyword of the language. */
export const isBindable = (word: string): boolean =>
  !Object.hasOwn(keywordLiterals, word) && !reserved.has(word) && !unsupported.has(word)

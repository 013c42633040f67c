/**
 * The characters the fast YAML reader (`yamlReader.ts`) looks for, and how it resolves scalars: plain scalars as the
 * `yaml` package's core schema resolves them, and the escapes of double-quoted ones.
 */

export const SPACE = 32
export const NL = 10
export const HASH = 35
export const COLON = 58
export const DASH = 45
export const DQUOTE = 34
export const SQUOTE = 39
export const LBRACKET = 91
export const RBRACKET = 93
export const LBRACE = 123
export const RBRACE = 125
export const COMMA = 44
export const PIPE = 124
export const GT = 62
export const BACKSLASH = 92

// Characters the subset never contains: tabs, carriage returns, other C0 controls, DEL, a byte order mark.
export const outside = /[\x00-\x09\x0b-\x1f\x7f\ufeff]/

// The core schema's scalar resolution, as the `yaml` package applies it to plain scalars (in this order).
const nullPattern = /^(?:~|[Nn]ull|NULL)?$/
const boolPattern = /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/
const octPattern = /^0o[0-7]+$/
const intPattern = /^[-+]?[0-9]+$/
const hexPattern = /^0x[0-9a-fA-F]+$/
const nanPattern = /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/
const expPattern = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/
const floatPattern = /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/

/** A plain scalar's value under the core schema. */
export const resolvePlain = (text: string): unknown => {
  const c = text.charCodeAt(0)
  // Only these can start anything but a string.
  if (!((c >= 48 && c <= 57) || c === 43 || c === 45 || c === 46 || c === 126 || c === 110 || c === 78 ||
    c === 116 || c === 84 || c === 102 || c === 70)) return text
  if (nullPattern.test(text)) return null
  if (boolPattern.test(text)) return c === 116 || c === 84
  if (octPattern.test(text)) return parseInt(text.substring(2), 8)
  if (intPattern.test(text)) return parseInt(text, 10)
  if (hexPattern.test(text)) return parseInt(text.substring(2), 16)
  if (nanPattern.test(text)) {
    return text.slice(-3).toLowerCase() === "nan" ? NaN : c === 45 ? -Infinity : Infinity
  }
  if (expPattern.test(text) || floatPattern.test(text)) return parseFloat(text)
  return text
}

export const referencePattern = /\$\{[A-Za-z_][A-Za-z0-9_]*:-[^}]*\}|\$env\.[A-Za-z_]/

export const escapes: Readonly<Record<string, string>> = {
  "0": "\0",
  a: "\x07",
  b: "\b",
  e: "\x1b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
  v: "\v",
  N: "\u0085",
  _: "\u00a0",
  L: "\u2028",
  P: "\u2029",
  " ": " ",
  "\"": "\"",
  "/": "/",
  "\\": "\\",
  "\t": "\t"
}

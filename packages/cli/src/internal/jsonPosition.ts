/**
 * Where JSON text first goes wrong, as an offset and as line and column. `JSON.parse` says where only in some of its
 * messages, and quotes the text around the error in others; this scanner finds the place without quoting anything.
 * It runs only after `JSON.parse` has failed, and keeps its own stack, so deep nesting cannot overflow it.
 */

const isWhitespace = (c: number) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d
const number = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y
const hex = /^[0-9a-fA-F]{4}$/

/** The offset of the first character that makes `text` invalid JSON (`text.length` when it ends too early). */
export const firstError = (text: string): number => {
  const n = text.length
  let i = 0
  const skipWhitespace = () => {
    while (i < n && isWhitespace(text.charCodeAt(i))) i++
  }
  // A string starting at i; true with i after its closing quote, else false with i at the offending character.
  const string = (): boolean => {
    if (text[i] !== "\"") return false
    i++
    while (i < n) {
      const c = text.charCodeAt(i)
      if (c === 0x22) {
        i++
        return true
      }
      if (c < 0x20) return false
      if (c === 0x5c) {
        const e = text[i + 1]
        if (e === undefined) {
          i = n
          return false
        }
        if (e === "u") {
          if (!hex.test(text.slice(i + 2, i + 6))) {
            i += 2
            return false
          }
          i += 6
          continue
        }
        if (!"\"\\/bfnrt".includes(e)) {
          i += 1
          return false
        }
        i += 2
        continue
      }
      i++
    }
    return false
  }
  // A key and its colon, with i after the colon.
  const key = (): boolean => {
    skipWhitespace()
    if (!string()) return false
    skipWhitespace()
    if (text[i] !== ":") return false
    i++
    return true
  }
  const scalar = (): boolean => {
    const c = text[i]!
    if (c === "\"") return string()
    if (c === "-" || (c >= "0" && c <= "9")) {
      number.lastIndex = i
      const match = number.exec(text)
      if (match === null) {
        i++
        return false
      }
      i += match[0].length
      return true
    }
    for (const literal of ["true", "false", "null"]) {
      if (text.startsWith(literal, i)) {
        i += literal.length
        return true
      }
    }
    return false
  }

  const stack: Array<"[" | "{"> = []
  let expectingValue = true
  for (;;) {
    skipWhitespace()
    if (expectingValue) {
      if (i >= n) return n
      const c = text[i]
      if (c === "{" || c === "[") {
        i++
        skipWhitespace()
        if (text[i] === (c === "{" ? "}" : "]")) {
          i++
          expectingValue = false
          continue
        }
        stack.push(c)
        if (c === "{" && !key()) return i
        continue
      }
      if (!scalar()) return i
      expectingValue = false
      continue
    }
    const top = stack.at(-1)
    // After the top-level value, only whitespace may follow.
    if (top === undefined) return i
    if (i >= n) return n
    const c = text[i]
    if (c === ",") {
      i++
      if (top === "{" && !key()) return i
      expectingValue = true
      continue
    }
    if (c === (top === "{" ? "}" : "]")) {
      i++
      stack.pop()
      continue
    }
    return i
  }
}

/** The 1-based line and column of an offset (columns count UTF-16 code units, as editors mostly do). */
export const lineColumn = (text: string, offset: number): { readonly line: number; readonly column: number } => {
  let line = 1
  let lineStart = 0
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 0x0a) {
      line++
      lineStart = i + 1
    }
  }
  return { line, column: offset - lineStart + 1 }
}

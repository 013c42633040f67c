/** Parsing of subscripts: `x[i]`, and slices `x[start:stop:step]` whose parts may each be left out, as in Python. */
import type { Ast } from "./ast.ts"
import type { Cursor } from "./cursor.ts"

/** After the object, at its `[`: an index or a slice of it. */
export const subscript = (cursor: Cursor, object: Ast): Ast => {
  const open = cursor.next()
  const start = cursor.isOp(":") ? undefined : cursor.expression()
  if (start !== undefined && !cursor.isOp(":")) {
    cursor.expect("]")
    return { _tag: "Index", object, index: start, position: open.position }
  }
  cursor.next()
  const stop = cursor.isOp(":") || cursor.isOp("]") ? undefined : cursor.expression()
  let step: Ast | undefined
  if (cursor.isOp(":")) {
    cursor.next()
    step = cursor.isOp("]") ? undefined : cursor.expression()
  }
  cursor.expect("]")
  return { _tag: "Slice", object, start, stop, step, position: open.position }
}

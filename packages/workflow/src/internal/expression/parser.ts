/**
 * The expression language's recursive-descent parser: operators by precedence, names, literals and brackets. Calls,
 * comprehensions and subscripts are parsed by `./calls.ts`, `./comprehensions.ts` and `./subscripts.ts`. Nesting is
 * counted as the descent recurses and checked again on the finished tree (`./depth.ts`), so no expression deeper
 * than `maxDepth` reaches the evaluator.
 */
import * as Either from "effect/Either"
import type { Ast, CompareOp } from "./ast.ts"
import { functionCall, isFunction, isFunctionName, isMethod, methodCall, registeredCall, uncallable } from "./calls.ts"
import { comprehension } from "./comprehensions.ts"
import { Cursor, describe } from "./cursor.ts"
import { checkDepth } from "./depth.ts"
import type { Problem } from "./failure.ts"
import { fail, Failure } from "./failure.ts"
import { subscript } from "./subscripts.ts"
import { tokenize } from "./tokenize.ts"
import { keywordLiterals, reserved, unsupported } from "./words.ts"

class Parser extends Cursor {
  parseAll(): Ast {
    const ast = this.expression()
    if (this.isOp("=")) fail("unexpected '=' (use '==' to compare)", this.peek.position)
    if (this.peek.kind !== "end") fail(`unexpected ${describe(this.peek)}`, this.peek.position)
    checkDepth(ast, 0)
    return ast
  }

  /** `then if test else otherwise`, the loosest binding of all, as in Python. */
  expression(): Ast {
    return this.nested(this.peek.position, () => {
      const then = this.or()
      if (!this.isWord("if")) return then
      this.next()
      const test = this.or()
      if (!this.isWord("else")) fail(`expected 'else' but found ${describe(this.peek)}`, this.peek.position)
      this.next()
      return { _tag: "Conditional", test, then, otherwise: this.expression() }
    })
  }

  or(): Ast {
    let left = this.and()
    while (this.isWord("or") || this.isOp("||")) {
      this.next()
      left = { _tag: "Logical", op: "or", left, right: this.and() }
    }
    return left
  }

  private and(): Ast {
    let left = this.not()
    while (this.isWord("and") || this.isOp("&&")) {
      this.next()
      left = { _tag: "Logical", op: "and", left, right: this.not() }
    }
    return left
  }

  private not(): Ast {
    if (this.isWord("not") || this.isOp("!")) {
      const token = this.next()
      return this.nested(token.position, () => ({ _tag: "Not", operand: this.not() }))
    }
    return this.comparison()
  }

  private compareOp(): CompareOp | undefined {
    const token = this.peek
    if (token.kind === "op" && ["==", "!=", "<", "<=", ">", ">="].includes(token.text)) {
      this.next()
      return token.text as CompareOp
    }
    if (this.isWord("in")) {
      this.next()
      return "in"
    }
    if (this.isWord("not") && this.wordAt(1, "in")) {
      this.index += 2
      return "not in"
    }
    if (this.isWord("is")) {
      this.next()
      if (this.isWord("not")) {
        this.next()
        return "is not"
      }
      return "is"
    }
    return undefined
  }

  private comparison(): Ast {
    const first = this.additive()
    const rest: Array<{ op: CompareOp; operand: Ast; position: number }> = []
    for (;;) {
      const position = this.peek.position
      const op = this.compareOp()
      if (op === undefined) break
      rest.push({ op, operand: this.additive(), position })
    }
    return rest.length === 0 ? first : { _tag: "Compare", first, rest }
  }

  private additive(): Ast {
    let left = this.multiplicative()
    while (this.isOp("+") || this.isOp("-")) {
      const token = this.next()
      left = {
        _tag: "Arithmetic",
        op: token.text as "+" | "-",
        left,
        right: this.multiplicative(),
        position: token.position
      }
    }
    return left
  }

  private multiplicative(): Ast {
    let left = this.unary()
    while (this.isOp("*") || this.isOp("/") || this.isOp("%")) {
      const token = this.next()
      left = {
        _tag: "Arithmetic",
        op: token.text as "*" | "/" | "%",
        left,
        right: this.unary(),
        position: token.position
      }
    }
    return left
  }

  private unary(): Ast {
    if (this.isOp("-")) {
      const token = this.next()
      return this.nested(token.position, () => ({ _tag: "Negate", operand: this.unary(), position: token.position }))
    }
    if (this.isOp("+")) {
      const token = this.next()
      return this.nested(token.position, () => this.unary())
    }
    return this.postfix()
  }

  /** Field access (`a.b`, `items.0`), subscripts and method calls, left to right. */
  private postfix(): Ast {
    let ast = this.primary()
    for (;;) {
      if (this.isOp(".")) {
        const dot = this.next()
        const key = this.next()
        if (key.kind !== "name" && !(key.kind === "number" && /^\d+$/.test(key.text))) {
          fail(`expected a field name after '.' but found ${describe(key)}`, key.position)
        }
        ast = { _tag: "Member", object: ast, key: key.text, position: dot.position }
      } else if (this.isOp("[")) {
        ast = subscript(this, ast)
      } else if (this.isOp("(") && ast._tag === "Member" && isMethod(ast.key)) {
        ast = methodCall(this, ast)
      } else if (this.isOp("(")) {
        return uncallable(this, ast)
      } else {
        return ast
      }
    }
  }

  private primary(): Ast {
    const token = this.next()
    switch (token.kind) {
      case "number":
      case "string":
        return { _tag: "Literal", value: token.value }
      case "name": {
        if (Object.hasOwn(keywordLiterals, token.text)) return { _tag: "Literal", value: keywordLiterals[token.text] }
        if (unsupported.has(token.text)) fail(`unsupported Python: '${token.text}'`, token.position)
        if (reserved.has(token.text)) fail(`unexpected '${token.text}'`, token.position)
        if (this.isOp("(") && isFunction(token.text)) return functionCall(this, token)
        if (this.isOp("(") && isFunctionName(token.text)) return registeredCall(this, token)
        return { _tag: "Name", name: token.text, position: token.position }
      }
      case "op": {
        if (token.text === "(") {
          return this.nested(token.position, () => {
            if (this.isOp(")")) fail("tuples are not supported; use a list [..]", this.peek.position)
            const inner = this.expression()
            const result = this.isWord("for") ? comprehension(this, "list", inner, undefined, token.position) : inner
            if (this.isOp(",")) fail("tuples are not supported; use a list [..]", this.peek.position)
            this.expect(")")
            return result
          })
        }
        if (token.text === "[") return this.nested(token.position, () => this.list(token.position))
        if (token.text === "{") return this.nested(token.position, () => this.dictOrSet(token.position))
        return fail(`unexpected ${describe(token)}`, token.position)
      }
      case "end":
        return fail("unexpected end of expression", token.position)
    }
  }

  /** After `[`: a list literal (a trailing comma is allowed, as in Python) or a list comprehension. */
  private list(position: number): Ast {
    const items: Array<Ast> = []
    while (!this.isOp("]")) {
      const item = this.expression()
      if (this.isWord("for")) {
        if (items.length > 0) fail("a comprehension must be alone in its brackets", this.peek.position)
        const result = comprehension(this, "list", item, undefined, position)
        this.expect("]")
        return result
      }
      items.push(item)
      if (!this.isOp(",")) break
      this.next()
    }
    this.expect("]")
    return { _tag: "List", items, position }
  }

  /** After `{`: a dict literal (a trailing comma is allowed), a dict comprehension or a set comprehension. */
  private dictOrSet(position: number): Ast {
    const entries: Array<{ key: Ast; value: Ast; position: number }> = []
    while (!this.isOp("}")) {
      const start = this.peek.position
      const key = this.expression()
      if (entries.length === 0 && this.isWord("for")) {
        const result = comprehension(this, "set", key, undefined, position)
        this.expect("}")
        return result
      }
      if (!this.isOp(":")) {
        fail(
          `expected ':' after a dict key but found ${describe(this.peek)} ` +
            "(set literals are not supported; set comprehensions {x for x in items} are)",
          this.peek.position
        )
      }
      this.next()
      const value = this.expression()
      if (this.isWord("for")) {
        if (entries.length > 0) fail("a comprehension must be alone in its braces", this.peek.position)
        const result = comprehension(this, "dict", key, value, position)
        this.expect("}")
        return result
      }
      entries.push({ key, value, position: start })
      if (!this.isOp(",")) break
      this.next()
    }
    this.expect("}")
    return { _tag: "Dict", entries }
  }
}

/** Parses an expression. */
export const parse = (source: string): Either.Either<Ast, Problem> => {
  try {
    return Either.right(new Parser(tokenize(source)).parseAll())
  } catch (error) {
    if (error instanceof Failure) return Either.left(error.problem)
    return Either.left({ description: String(error) })
  }
}

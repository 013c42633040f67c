/**
 * Where each node of a loaded workflow and each of its fields are written (`WorkflowDefinition.Source`'s `nodeLines`
 * and `nodePositions`), kept as numbers in one typed array and made into objects only for the ids that are asked
 * for: a message names a node now and then, while a workflow of 500,000 nodes would otherwise hold millions of small
 * objects for it. The two records read like plain ones (by id, `in`, `Object.keys`, JSON) and cannot be changed.
 */
import type * as WorkflowDefinition from "../WorkflowDefinition.ts"

type Position = WorkflowDefinition.Position

/** A node's position and its fields', by their YAML key. */
export interface NodePosition {
  readonly node: Position
  readonly fields: Readonly<Record<string, Position>>
}

/** Collects the positions node by node, in the order of the workflow's nodes. */
export interface Builder {
  /** Starts the next node; a node without a position is left out (as are the fields that follow until the next). */
  readonly node: (id: string, position: Position | undefined) => void
  /** A field of the node started last, by its line and column (a key already given for it is ignored). */
  readonly field: (key: string, line: number, column: number) => void
  /** The records, `nodeLines` (the line of each node's entry) and `nodePositions`, by node id. */
  readonly done: () => {
    readonly nodeLines: Readonly<Record<string, number>>
    readonly nodePositions: Readonly<Record<string, NodePosition>>
  }
}

/** A builder for about `nodes` nodes. */
export const builder = (nodes: number): Builder => {
  const ids: Array<string> = []
  // Per node: line, column, field count, then per field: key (an index into `keys`), line, column.
  let numbers = new Int32Array(Math.max(64, nodes * 12))
  let size = 0
  const starts: Array<number> = []
  const keys: Array<string> = []
  const keyIndex = new Map<string, number>()
  let current = -1
  let skipping = false
  const reserve = (count: number) => {
    if (size + count <= numbers.length) return
    const grown = new Int32Array(Math.max(size + count, numbers.length * 2))
    grown.set(numbers)
    numbers = grown
  }
  return {
    node: (id, position) => {
      skipping = position === undefined
      if (position === undefined) return
      ids.push(id)
      starts.push(size)
      current = size
      reserve(3)
      numbers[size++] = position.line
      numbers[size++] = position.column
      numbers[size++] = 0
    },
    field: (key, line, column) => {
      if (skipping || current < 0) return
      let index = keyIndex.get(key)
      if (index === undefined) {
        index = keys.length
        keys.push(key)
        keyIndex.set(key, index)
      }
      for (let at = current + 3; at < size; at += 3) if (numbers[at] === index) return
      reserve(3)
      numbers[size++] = index
      numbers[size++] = line
      numbers[size++] = column
      numbers[current + 2]!++
    },
    done: () => {
      const data = numbers.slice(0, size)
      const table = { ids, starts, keys, data }
      return {
        nodeLines: record(table, (start) => data[start]!),
        nodePositions: record(table, (start) => positionAt(table, start))
      }
    }
  }
}

interface Table {
  readonly ids: ReadonlyArray<string>
  readonly starts: ReadonlyArray<number>
  readonly keys: ReadonlyArray<string>
  readonly data: Int32Array
}

const positionAt = (table: Table, start: number): NodePosition => {
  const { data, keys } = table
  const fields: Record<string, Position> = {}
  for (let i = 0, at = start + 3; i < data[start + 2]!; i++, at += 3) {
    fields[keys[data[at]!]!] = { line: data[at + 1]!, column: data[at + 2]! }
  }
  return { node: { line: data[start]!, column: data[start + 1]! }, fields }
}

/** A read-only record by node id over the table (the first node of an id wins); the index by id is made when used. */
const record = <A>(table: Table, at: (start: number) => A): Readonly<Record<string, A>> => {
  let index: Map<string, number> | undefined
  const byId = () => {
    if (index === undefined) {
      index = new Map()
      table.ids.forEach((id, i) => {
        if (!index!.has(id)) index!.set(id, table.starts[i]!)
      })
    }
    return index
  }
  const own = (key: string | symbol): number | undefined => typeof key === "string" ? byId().get(key) : undefined
  return new Proxy<Record<string, A>>({}, {
    get: (target, key, receiver) => {
      const start = own(key)
      return start === undefined ? Reflect.get(target, key, receiver) : at(start)
    },
    has: (target, key) => own(key) !== undefined || Reflect.has(target, key),
    ownKeys: () => Array.from(byId().keys()),
    getOwnPropertyDescriptor: (_, key) => {
      const start = own(key)
      return start === undefined ? undefined : { value: at(start), writable: false, enumerable: true, configurable: true }
    },
    set: () => false,
    defineProperty: () => false,
    deleteProperty: () => false
  })
}

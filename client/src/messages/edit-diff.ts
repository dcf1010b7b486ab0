import { diffLines } from 'diff'

/** One line of a rendered diff: kept, removed or added. */
export interface DiffLine {
  kind: 'same' | 'removed' | 'added'
  text: string
}

/** The lines of `before` and `after` as a unified line diff, the way Edit and Write change a file. */
export function lineDiff(before: string, after: string): DiffLine[] {
  return diffLines(before, after).flatMap((change) => {
    const kind = change.added ? 'added' : change.removed ? 'removed' : 'same'
    const lines = change.value.split('\n')
    // A change that ends with a newline splits into a last empty string that is no line.
    if (lines.at(-1) === '') lines.pop()
    return lines.map((text) => ({ kind, text }) as DiffLine)
  })
}

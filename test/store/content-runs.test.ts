import { describe, expect, it } from 'vitest'
import { contentIdOf } from '../../server/store/contents/content-id'
import { contentIdsOfRuns, RUN_LENGTH, runsOf } from '../../server/store/contents/content-runs'

/** `n` distinct content ids, as parts' hashes would be. */
const partIds = (n: number, salt = '') => Array.from({ length: n }, (_, i) => contentIdOf(Buffer.from(`part ${salt}${i}`)))

describe('runs of part ids', () => {
  it('cut a list at every 16th id, the last run holding the rest', () => {
    const ids = partIds(2 * RUN_LENGTH + 5)
    const runs = runsOf(ids)

    expect(runs.map((run) => run.contentIds)).toEqual([ids.slice(0, 16), ids.slice(16, 32), ids.slice(32)])
    expect(runsOf([])).toEqual([])
  })

  it('are named by the hash of their ids\' 16-byte forms, one after the other', () => {
    const ids = partIds(3)
    const bytes = Buffer.from(ids.join('').replaceAll('-', ''), 'hex')

    expect(bytes).toHaveLength(48)
    expect(runsOf(ids)[0]!.id).toBe(contentIdOf(bytes))
  })

  it('are shared by the next turn, which repeats the list and adds to its end, up to the run that grew', () => {
    const turn = partIds(40)
    const next = [...turn, ...partIds(3, 'new ')]

    const [a, b] = [runsOf(turn), runsOf(next)]

    expect(b.slice(0, 2)).toEqual(a.slice(0, 2))
    expect(b[2]!.id).not.toBe(a[2]!.id)
  })

  it('differ when one id changes or two swap places', () => {
    const ids = partIds(RUN_LENGTH)
    const changed = [...ids.slice(0, 5), contentIdOf(Buffer.from('other')), ...ids.slice(6)]
    const swapped = [ids[1]!, ids[0]!, ...ids.slice(2)]

    expect(new Set([runsOf(ids)[0]!.id, runsOf(changed)[0]!.id, runsOf(swapped)[0]!.id]).size).toBe(3)
  })

  it('expand back to the list in order, and refuse to leave out a run that is missing', () => {
    const ids = partIds(RUN_LENGTH + 4)
    const runs = runsOf(ids)
    const stored = new Map(runs.map((run) => [run.id, run.contentIds]))

    expect(contentIdsOfRuns(runs.map((run) => run.id), stored)).toEqual(ids)
    stored.delete(runs[1]!.id)
    expect(() => contentIdsOfRuns(runs.map((run) => run.id), stored)).toThrow(/missing its run of parts/)
  })
})

import { gzipSync } from 'node:zlib'
import type { ClaudescopeApi, StorageFigures } from '../lib/claudescope-api'
import { Conversation } from '../lib/conversation'
import { firstDifference, parseJson } from '../lib/json-values'
import { runLoad } from '../lib/load'
import { fmt, table } from '../lib/stats'
import { countWhenStored, settledCount } from '../lib/stored'
import type { Target } from '../lib/target'

export interface StorageOptions {
  turns: number
  /** Bytes of system and tools, resent every turn. */
  prefixBytes: number
  /** About this many bytes of new content per turn. */
  turnBytes: number
}

const MiB = 1024 * 1024
/** The storage target: the database grows by at most this share of the request bodies' bytes. */
const TARGET_SHARE = 0.05
/** Short streamed answers: what is measured is the requests, which Claude Code's grow turn by turn. */
const ANSWER_HEADERS = { 'x-bench-events': '10', 'x-bench-interval-ms': '1' }

/**
 * How the bodies read back through `requestBodyText`, the body as the API returns it exactly (the
 * `requestBody` JSON field is a convenience that rounds integers beyond 2^53, as JSON.parse does).
 */
interface ReadBack {
  /** Bodies equal to what was sent as JSON values, every integer digit for digit. */
  equal: number
  /** Bodies byte for byte what was sent. */
  textIdentical: number
  /** Everything else that went wrong, first ones first. */
  problems: string[]
}

/**
 * One Claude Code session, driven through each Claudescope target a turn at a time: a fixed prefix
 * (system and tools) and a history of incompressible text that grows every turn, every body
 * resending all before it. Once every record is stored: how much the database grew (the sum of its
 * tables' sizes, from the `storage` query) against the bytes of all request bodies sent, and
 * whether every body reads back through GraphQL as it was sent.
 */
export async function storageConversation(targets: Target[], options: StorageOptions = { turns: 200, prefixBytes: 50 * 1024, turnBytes: 2048 }): Promise<string> {
  const rows: (string | number)[][] = []
  const growth: { target: string; before: StorageFigures; after: StorageFigures }[] = []
  const alarms: string[] = []
  // One session for every target: each Claudescope stores into a database of its own, so none has seen it.
  const conversation = new Conversation({ seed: 42, prefixBytes: options.prefixBytes, turnBytes: options.turnBytes, stream: true })
  const sent = Array.from({ length: options.turns }, () => conversation.next())
  for (const t of targets) {
    if (!t.api) continue
    const sentBytes = sent.reduce((sum, body) => sum + body.length, 0)
    const last = sent.at(-1)!
    const countBefore = await settledCount(t.api)
    const before = await t.api.storage()
    const from = new Date()
    const load = await runLoad(t.url, { perWorker: [sent], headers: ANSWER_HEADERS })
    const stored = (await countWhenStored(t.api, countBefore + options.turns)) - countBefore
    const after = await t.api.storage()
    growth.push({ target: t.name, before, after })
    const grownBytes = sumOfTables(after) - sumOfTables(before)
    const readBack = await readBodiesBack(t.api, from, sent)
    if (load.failures > 0) readBack.problems.unshift(`${load.failures} of ${options.turns} requests failed`)
    if (stored !== options.turns) readBack.problems.unshift(`${stored} of ${options.turns} records stored`)
    rows.push([
      t.name,
      `${stored}/${options.turns}`,
      fmt(sentBytes / MiB, 1),
      `${fmt(last.length / 1024, 0)} (${fmt((100 * gzipSync(last).length) / last.length, 0)} %)`,
      fmt(grownBytes / MiB, 2),
      `${fmt((100 * grownBytes) / sentBytes, 2)} %`,
      fmt((after.databaseBytes - before.databaseBytes) / MiB, 2),
      `${readBack.equal}/${options.turns}`,
      `${readBack.textIdentical}/${options.turns}`,
    ])
    const alarm = describeFailure(t.name, options.turns, readBack)
    if (alarm) {
      alarms.push(alarm)
      process.stderr.write(`${alarm}\n`)
    }
  }

  return [
    `### Storage: one ${options.turns}-turn session, ${fmt(options.prefixBytes / 1024, 0)} KB prefix, about ${fmt(options.turnBytes / 1024, 0)} KB new per turn`,
    `Every target gets the same session, into a database of its own. Target: the database grows by at most ${fmt(TARGET_SHARE * 100, 0)} % of the bodies' bytes (the sum of its tables' sizes, TOAST and indexes included), and every body reads back whole. ` +
      'The gzip figure shows that compression alone cannot get there.',
    table(['target', 'records stored', 'bodies sent MiB', 'last body KiB (gzip to)', 'tables grew MiB', 'share of bodies sent', 'database grew MiB', 'bodies equal (JSON values, every digit)', 'bodies byte-identical'], rows),
    growthTable(growth),
    ...alarms,
  ].join('\n\n')
}

const sumOfTables = (figures: StorageFigures) => figures.tables.reduce((sum, t) => sum + t.totalBytes, 0)

/** Each stored body of the requests started since `from`, matched to the one sent by its size (every turn's is larger). */
async function readBodiesBack(api: ClaudescopeApi, from: Date, sent: Buffer[]): Promise<ReadBack> {
  const result: ReadBack = { equal: 0, textIdentical: 0, problems: [] }
  const turnOfSize = new Map(sent.map((body, turn) => [body.length, turn]))
  const listed = await api.requestsSince(from)
  if (listed.length !== sent.length) result.problems.push(`${listed.length} requests listed for ${sent.length} sent`)
  for (const { id, requestBodyBytes } of listed) {
    const turn = turnOfSize.get(requestBodyBytes)
    if (turn === undefined) {
      result.problems.push(`request ${id}: a body of ${requestBodyBytes} bytes, the size of none sent`)
      continue
    }
    const text = await api.requestBodyText(id)
    if (text === sent[turn]!.toString()) result.textIdentical++
    const difference = text === null ? 'the whole body (none returned)' : firstDifference(parseJson(sent[turn]!.toString()), parseJson(text))
    if (difference === null) result.equal++
    else result.problems.push(`turn ${turn + 1}: the body read back differs at ${difference}`)
  }
  return result
}

/** A loud paragraph when a body did not read back whole; null when all did. */
function describeFailure(target: string, turns: number, readBack: ReadBack): string | null {
  if (readBack.equal === turns && readBack.problems.length === 0) return null
  const lines = [`**READ-BACK FAILED on ${target}**: ${readBack.equal} of ${turns} bodies read back whole through \`requestBodyText\`.`]
  const shown = readBack.problems.slice(0, 5)
  if (shown.length > 0) lines.push(`Other problems (${readBack.problems.length}): ${shown.join('; ')}${readBack.problems.length > shown.length ? '; …' : ''}`)
  return lines.join(' ')
}

/** How much each table grew, in MiB, of which its indexes, and its rows. */
function growthTable(growth: { target: string; before: StorageFigures; after: StorageFigures }[]): string {
  const names = [...new Set(growth.flatMap(({ after }) => after.tables.map((t) => t.name)))]
  const rows = growth.map(({ target, before, after }) => [
    target,
    ...names.map((name) => {
      const was = before.tables.find((t) => t.name === name)
      const now = after.tables.find((t) => t.name === name)
      if (!now) return '–'
      const grew = (bytes: (t: StorageFigures['tables'][number]) => number) => fmt((bytes(now) - (was ? bytes(was) : 0)) / MiB, 2)
      return `${grew((t) => t.totalBytes)} (indexes ${grew((t) => t.indexBytes)}; +${now.rows - (was?.rows ?? 0)} rows)`
    }),
  ])
  return table(['growth by table, MiB (of which indexes)', ...names], rows)
}

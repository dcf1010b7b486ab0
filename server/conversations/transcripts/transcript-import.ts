import type { DataSource } from 'typeorm'
import { contentsUpsert, type Statement } from '../../store/batch-statements'
import { conversationStatements } from '../../store/conversation-statements'
import { readConversationThreads } from '../../store/queries/conversation-threads'
import { CONVERSATION_REQUESTS_TABLE, IMPORTED_TURNS_TABLE } from '../../store/tables/conversations.table'
import { REQUESTS_TABLE } from '../../store/tables/requests.table'
import { costOf } from '../../usage/cost'
import type { PriceBook } from '../../usage/price-book'
import { ConversationGrouper } from '../grouper'
import { readTranscriptLine, type TranscriptEntry } from './transcript-entries'
import { findTranscriptFiles, transcriptLines, type TranscriptFile } from './transcript-files'
import { turnsOfSession, type ImportedTurn } from './transcript-turns'

/** Something import could not read, where, and why. */
export interface ImportProblem {
  /** The file relative to the imported directory, `:line` when it is one line. */
  where: string
  reason: string
}

export interface ImportProgress {
  filesDone: number
  filesTotal: number
  bytesDone: number
  bytesTotal: number
}

export interface ImportSummary {
  files: number
  sessions: number
  /** API calls written as imported turns. */
  importedTurns: number
  /** Calls already imported by an earlier run. */
  alreadyImported: number
  /** Calls the proxy captured already (same API request-id): the captured request stands for them. */
  alreadyCaptured: number
  /** Messages added to threads. */
  newMessages: number
  problems: ImportProblem[]
}

export interface ImportOptions {
  dataSource: DataSource
  /** Prices imported turns as the usage domain prices captured requests. */
  book: PriceBook
  onProgress?: (progress: ImportProgress) => void
}

/** How far before and after a session's calls a captured request with the same request-id is looked for. */
const CAPTURE_WINDOW_MS = 24 * 60 * 60 * 1000

/**
 * Imports the Claude Code transcripts under `dir` into conversations: each session (its main file
 * and its subagents' files together) is grouped as its captured traffic would be, into the
 * conversation its session id names, so a session seen through the proxy and imported is one
 * conversation, each message once. A call already stored (imported earlier, or captured with the
 * same request-id) is not written again: importing twice changes nothing. A session is written in
 * one transaction. Lines that cannot be read, and paths that are refused, are reported and skipped.
 */
export async function importTranscripts(dir: string, options: ImportOptions): Promise<ImportSummary> {
  const { files, refused } = await findTranscriptFiles(dir)
  const summary: ImportSummary = { files: files.length, sessions: 0, importedTurns: 0, alreadyImported: 0, alreadyCaptured: 0, newMessages: 0, problems: refused.map((r) => ({ where: r.file, reason: r.reason })) }
  const grouper = new ConversationGrouper()
  const progress: ImportProgress = { filesDone: 0, filesTotal: files.length, bytesDone: 0, bytesTotal: files.reduce((n, f) => n + f.bytes, 0) }
  options.onProgress?.({ ...progress })
  for (const group of sessionFileGroups(files)) {
    const bySession = new Map<string, TranscriptEntry[]>()
    for (const file of group) {
      for await (const { text, line, bytes } of transcriptLines(file)) {
        const reading = readTranscriptLine(text, file.relative, line)
        if ('error' in reading) summary.problems.push({ where: `${file.relative}:${line}`, reason: reading.error })
        else if ('entry' in reading) {
          const list = bySession.get(reading.entry.sessionId)
          if (list === undefined) bySession.set(reading.entry.sessionId, [reading.entry])
          else list.push(reading.entry)
        }
        progress.bytesDone += bytes
      }
      progress.filesDone++
      progress.bytesDone = Math.min(progress.bytesDone, progress.bytesTotal)
    }
    for (const [sessionId, entries] of bySession) {
      const { turns, problems } = turnsOfSession(entries)
      summary.problems.push(...problems.map((p) => ({ where: `${p.file}:${p.line}`, reason: p.reason })))
      if (turns.length === 0) continue
      summary.sessions++
      await importSession(sessionId, turns, grouper, options, summary)
    }
    options.onProgress?.({ ...progress })
  }
  return summary
}

/**
 * Files of one session together: `<session>.jsonl` and `<session>/subagents/*.jsonl`. Older
 * versions kept subagents in the session's own file (isSidechain lines); both read the same.
 */
function sessionFileGroups(files: readonly TranscriptFile[]): TranscriptFile[][] {
  const groups = new Map<string, TranscriptFile[]>()
  for (const file of files) {
    const parts = file.relative.split('/')
    const at = parts.lastIndexOf('subagents')
    const key = at > 0 ? parts.slice(0, at).join('/') : file.relative.replace(/\.jsonl$/, '')
    const group = groups.get(key)
    if (group === undefined) groups.set(key, [file])
    else group.push(file)
  }
  return [...groups.values()]
}

async function importSession(sessionId: string, turns: ImportedTurn[], grouper: ConversationGrouper, options: ImportOptions, summary: ImportSummary): Promise<void> {
  const { dataSource, book } = options
  const stored = new Set(
    ((await dataSource.query(`SELECT request_id FROM ${CONVERSATION_REQUESTS_TABLE} WHERE request_id = ANY($1::uuid[])`, [turns.map((t) => t.id)])) as Array<{ request_id: string }>).map((r) => r.request_id),
  )
  const requestIds = turns.flatMap((t) => (t.upstreamRequestId === null ? [] : [t.upstreamRequestId]))
  const captured = new Set(
    requestIds.length === 0
      ? []
      : ((await dataSource.query(`SELECT upstream_request_id FROM ${REQUESTS_TABLE} WHERE started_at BETWEEN $2 AND $3 AND upstream_request_id = ANY($1::text[])`, [
          requestIds,
          new Date(turns[0]!.startedAt.getTime() - CAPTURE_WINDOW_MS),
          new Date(turns.at(-1)!.startedAt.getTime() + CAPTURE_WINDOW_MS),
        ])) as Array<{ upstream_request_id: string }>).map((r) => r.upstream_request_id),
  )
  const fresh = turns.filter((turn) => {
    if (stored.has(turn.id)) summary.alreadyImported++
    else if (turn.upstreamRequestId !== null && captured.has(turn.upstreamRequestId)) summary.alreadyCaptured++
    else return true
    return false
  })
  if (fresh.length === 0) return
  const toLoad = grouper.sessionToLoad(sessionId)
  if (toLoad !== null) grouper.restore(await readConversationThreads(dataSource, [toLoad]), { conversationIds: [toLoad] })
  const writes = grouper.groupTranscriptTurns(fresh)
  if (writes === null) return
  const bytesOf = new Map(fresh.flatMap((turn) => turn.shape.messages.map((m) => [m.contentId, m.bytes] as const)))
  const newContentIds = [...new Set(writes.assignments.flatMap((a) => a.newMessages.map((m) => m.contentId)))].filter((id) => bytesOf.has(id)).sort()
  const statements: Statement[] = [...contentsUpsert(newContentIds.map((id) => ({ id, bytes: bytesOf.get(id)!, member: 'messages' })))]
  statements.push(importedTurnsInsert(fresh, book), ...conversationStatements(writes))
  await dataSource.transaction(async (manager) => {
    for (const statement of statements) await manager.query(statement.text, statement.values)
  })
  summary.importedTurns += fresh.length
  summary.newMessages += writes.assignments.reduce((n, a) => n + a.newMessages.length, 0)
}

function importedTurnsInsert(turns: readonly ImportedTurn[], book: PriceBook): Statement {
  const costs = turns.map((turn) => costOf({ path: '/v1/messages', model: turn.model, routedModel: null, startedAt: turn.startedAt, usage: turn.usage }, book))
  const column = <T>(pick: (turn: ImportedTurn) => T) => turns.map(pick)
  return {
    text: `INSERT INTO ${IMPORTED_TURNS_TABLE} (id, session_key, message_id, upstream_request_id, started_at, completed_at, model, stop_reason, input_tokens, output_tokens,
        cache_creation_input_tokens, cache_read_input_tokens, service_tier, cost_usd, cost_status, source_file, source_line)
      SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::timestamptz[], $7::text[], $8::text[], $9::bigint[], $10::bigint[],
        $11::bigint[], $12::bigint[], $13::text[], $14::numeric[], $15::text[], $16::text[], $17::integer[]) ON CONFLICT (id) DO NOTHING`,
    values: [
      column((t) => t.id),
      column((t) => t.sessionId),
      column((t) => t.messageId),
      column((t) => t.upstreamRequestId),
      column((t) => t.startedAt),
      column((t) => t.completedAt),
      column((t) => t.model),
      column((t) => t.stopReason),
      column((t) => t.usage?.inputTokens ?? null),
      column((t) => t.usage?.outputTokens ?? null),
      column((t) => t.usage?.cacheCreationInputTokens ?? null),
      column((t) => t.usage?.cacheReadInputTokens ?? null),
      column((t) => t.usage?.serviceTier ?? null),
      costs.map((c) => c.costUsd),
      costs.map((c) => c.costStatus),
      column((t) => t.file),
      column((t) => t.line),
    ],
  }
}

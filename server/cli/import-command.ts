import os from 'node:os'
import path from 'node:path'
import { SingleBar } from 'cli-progress'
import type { Config } from '../config'
import { importTranscripts, type ImportProgress, type ImportSummary } from '../conversations/transcripts/transcript-import'
import { TranscriptDirectoryError } from '../conversations/transcripts/transcript-files'
import { ensureDataDir } from '../files/private-files'
import type { Logger } from '../logger'
import { openStore } from '../store/data-source'
import { startEmbeddedPostgres } from '../store/embedded/embedded-postgres'
import { PricesService } from '../usage/prices.service'

/** Where Claude Code keeps its transcripts. */
export const DEFAULT_TRANSCRIPTS_DIR = path.join(os.homedir(), '.claude', 'projects')

/** Without a terminal, a progress line at most this often. */
const PLAIN_PROGRESS_INTERVAL_MS = 5_000

/**
 * `claudescope import [dir]`: imports the transcripts under `dir` into the database the
 * configuration names (DATABASE_URL, else the embedded one in DATA_DIR, which a running
 * Claudescope holds: stop it first). Progress goes to stderr, as a bar on a terminal and as
 * plain lines otherwise; the summary and every skipped line or refused path follow. Returns the
 * exit code: 0, or 1 when something could not be read.
 */
export async function runImport(dir: string, config: Config, logger: Logger, stderr: NodeJS.WriteStream = process.stderr): Promise<number> {
  ensureDataDir(config.dataDirPath, logger)
  const embedded = config.databaseUrl ? null : await startEmbeddedPostgres({ dataDir: path.join(config.dataDirPath, 'pglite'), logger })
  const dataSource = await openStore(config.databaseUrl ?? embedded!.url).catch(async (err: unknown) => {
    await embedded?.stop()
    throw err
  })
  const prices = new PricesService({ dataSource, logger })
  const report = progressReporter(stderr)
  try {
    const summary = await importTranscripts(dir, { dataSource, book: await prices.book(), onProgress: report.update })
    report.stop()
    stderr.write(summaryText(dir, summary) + '\n')
    return summary.problems.length > 0 ? 1 : 0
  } catch (err) {
    report.stop()
    if (err instanceof TranscriptDirectoryError || (err as NodeJS.ErrnoException).code === 'ENOENT') {
      stderr.write(`claudescope import: ${(err as Error).message}\n`)
      return 2
    }
    throw err
  } finally {
    prices.close()
    await dataSource.destroy()
    await embedded?.stop()
  }
}

function progressReporter(stderr: NodeJS.WriteStream): { update: (progress: ImportProgress) => void; stop: () => void } {
  if (stderr.isTTY) {
    const bar = new SingleBar({ stream: stderr, format: 'Importing transcripts [{bar}] {percentage}% | {filesDone}/{filesTotal} files', hideCursor: true, clearOnComplete: true })
    let started = false
    return {
      update: (p) => {
        if (!started) bar.start(Math.max(1, p.bytesTotal), p.bytesDone, { filesDone: p.filesDone, filesTotal: p.filesTotal })
        else bar.update(p.bytesDone, { filesDone: p.filesDone, filesTotal: p.filesTotal })
        started = true
      },
      stop: () => started && bar.stop(),
    }
  }
  let lastAt = 0
  return {
    update: (p) => {
      if (Date.now() - lastAt < PLAIN_PROGRESS_INTERVAL_MS && p.filesDone < p.filesTotal) return
      lastAt = Date.now()
      stderr.write(`import: ${p.filesDone}/${p.filesTotal} files read\n`)
    },
    stop: () => {},
  }
}

function summaryText(dir: string, s: ImportSummary): string {
  const lines = [
    `Imported ${s.importedTurns} API calls (${s.newMessages} new messages) from ${s.sessions} sessions in ${s.files} files under ${dir}.`,
    `Already there: ${s.alreadyImported} imported before, ${s.alreadyCaptured} captured by the proxy.`,
  ]
  if (s.problems.length > 0) {
    lines.push(`Skipped ${s.problems.length}:`)
    for (const problem of s.problems) lines.push(`  ${problem.where}: ${problem.reason}`)
  }
  return lines.join('\n')
}

import { constants } from 'node:fs'
import { open, opendir, readlink, realpath, stat } from 'node:fs/promises'
import path from 'node:path'
import { createInterface } from 'node:readline'

/** A path import would not read, and why. */
export interface RefusedPath {
  file: string
  reason: string
}

export interface TranscriptFile {
  /** Relative to the imported directory, with `/` between names. */
  relative: string
  absolute: string
  bytes: number
}

/**
 * The `.jsonl` files under `root`, in name order, without ever leaving it: symbolic links are
 * not followed (one pointing out of the tree is reported as such, any other as not followed),
 * and a name holding `..` is refused. What is refused is listed, not thrown.
 */
export async function findTranscriptFiles(root: string): Promise<{ root: string; files: TranscriptFile[]; refused: RefusedPath[] }> {
  const base = await realpath(root)
  if (!(await stat(base)).isDirectory()) throw new TranscriptDirectoryError(`${root} is not a directory`)
  const files: TranscriptFile[] = []
  const refused: RefusedPath[] = []
  const walk = async (dir: string, relative: string): Promise<void> => {
    const entries = []
    for await (const entry of await opendir(dir)) entries.push(entry)
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    for (const entry of entries) {
      const rel = relative === '' ? entry.name : `${relative}/${entry.name}`
      const absolute = path.join(dir, entry.name)
      if (entry.name.includes('..')) {
        refused.push({ file: rel, reason: 'a name with ".." is refused' })
      } else if (entry.isSymbolicLink()) {
        refused.push({ file: rel, reason: (await pointsOutside(absolute, base)) ? 'a symbolic link pointing out of the directory: not followed' : 'a symbolic link: not followed' })
      } else if (entry.isDirectory()) {
        await walk(absolute, rel)
      } else if (entry.isFile() && entry.name.endsWith('.jsonl')) {
        files.push({ relative: rel, absolute, bytes: (await stat(absolute)).size })
      }
    }
  }
  await walk(base, '')
  return { root: base, files, refused }
}

async function pointsOutside(link: string, base: string): Promise<boolean> {
  const target = path.resolve(path.dirname(link), await readlink(link))
  const inside = path.relative(base, target)
  return inside.startsWith('..') || path.isAbsolute(inside)
}

/**
 * The lines of a transcript file, numbered from 1. Opened without following a symbolic link, so
 * a file replaced by one after the walk is not read either.
 */
export async function* transcriptLines(file: TranscriptFile): AsyncGenerator<{ text: string; line: number; bytes: number }> {
  const handle = await open(file.absolute, constants.O_RDONLY | constants.O_NOFOLLOW)
  try {
    const lines = createInterface({ input: handle.createReadStream({ encoding: 'utf8', autoClose: false }), crlfDelay: Infinity })
    let line = 0
    for await (const text of lines) yield { text, line: ++line, bytes: Buffer.byteLength(text) + 1 }
  } finally {
    await handle.close()
  }
}

export class TranscriptDirectoryError extends Error {
  override name = 'TranscriptDirectoryError'
}

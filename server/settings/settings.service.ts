import type { DataSource } from 'typeorm'
import { UserInputError } from '../graphql/errors'
import type { OperationClient } from '../graphql/graphql-server'
import type { SettingsAudit } from './settings-audit'
import type { SettingsSection } from './settings-section'

/** What the document says it is, so an import refuses anything else with a clear message. */
export const SETTINGS_FORMAT = 'claudescope-settings'
export const SETTINGS_VERSION = 1

/**
 * Export and import of every persisted setting as one JSON document:
 * `{ "format": "claudescope-settings", "version": 1, "exportedAt": …, "<section>": … }`.
 * An import replaces the sections the document holds and leaves the others alone, all in one
 * transaction with one audit entry per section: a document with one bad part changes nothing.
 */
export class SettingsService {
  readonly #sections: ReadonlyMap<string, SettingsSection>

  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: SettingsAudit,
    sections: readonly SettingsSection[],
  ) {
    this.#sections = new Map(sections.map((section) => [section.key, section]))
  }

  async exportSettings(): Promise<Record<string, unknown>> {
    const document: Record<string, unknown> = { format: SETTINGS_FORMAT, version: SETTINGS_VERSION, exportedAt: new Date().toISOString() }
    for (const [key, section] of this.#sections) document[key] = await section.exportSettings()
    return document
  }

  /** Imports `document`; returns the keys of the sections it replaced. */
  async importSettings(document: unknown, client: OperationClient): Promise<string[]> {
    const parsed = this.#parse(document)
    await this.dataSource.transaction(async (manager) => {
      for (const [section, value] of parsed) {
        const change = await section.replaceSettings(manager, value)
        await this.audit.record(manager, { section: section.key, action: 'importSettings', ...change }, client)
      }
    })
    for (const [section] of parsed) await section.settingsChanged()
    return parsed.map(([section]) => section.key)
  }

  #parse(document: unknown): Array<[SettingsSection, unknown]> {
    if (typeof document !== 'object' || document === null || Array.isArray(document)) {
      throw invalid(`document must be a JSON object as exportSettings returns it, got ${document === null ? 'null' : Array.isArray(document) ? 'an array' : typeof document}`)
    }
    const { format, version, exportedAt: _exportedAt, ...rest } = document as Record<string, unknown>
    if (format !== SETTINGS_FORMAT) throw invalid(`document.format must be "${SETTINGS_FORMAT}", got ${JSON.stringify(format) ?? 'none'}`)
    if (version !== SETTINGS_VERSION) throw invalid(`document.version must be ${SETTINGS_VERSION}, got ${JSON.stringify(version) ?? 'none'}`)
    const parsed: Array<[SettingsSection, unknown]> = []
    for (const [key, value] of Object.entries(rest)) {
      const section = this.#sections.get(key)
      if (section === undefined) throw invalid(`document.${key} is not a settings section; known: ${[...this.#sections.keys()].join(', ')}`)
      parsed.push([section, section.parseSettings(value, `document.${key}`)])
    }
    return parsed
  }
}

function invalid(message: string): UserInputError {
  return new UserInputError('SETTINGS_DOCUMENT_INVALID', message, 'document')
}

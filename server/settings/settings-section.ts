import type { EntityManager } from 'typeorm'

/**
 * One area of persisted settings (header rules now; prices and others join by implementing this):
 * how it is exported into, and imported from, the settings document.
 */
export interface SettingsSection<Parsed = unknown> {
  /** Its key in the document, e.g. `headerRules`. */
  readonly key: string
  /** The section's settings now, as JSON. */
  exportSettings(): Promise<unknown>
  /**
   * Checks the document's value for this section and prepares it; throws a UserInputError
   * (SETTINGS_DOCUMENT_INVALID or the section's own codes) naming `path` and what is wrong.
   */
  parseSettings(value: unknown, path: string): Parsed
  /**
   * Replaces the section's settings with `parsed` inside the import's transaction; returns what the
   * audit entry records as before and after.
   */
  replaceSettings(manager: EntityManager, parsed: Parsed): Promise<{ before: unknown; after: unknown; summary: string }>
  /** After the import committed: this instance reloads, and every other one is told. */
  settingsChanged(): Promise<void>
}

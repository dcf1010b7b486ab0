/** A parsed JSON object (not an array, not null), its members not yet checked. */
export type JsonObject = Record<string, unknown>

/** Whether a parsed JSON value is an object: what every read of upstream's JSON checks first. */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** `text` parsed when it is a JSON object, else null. Plain JSON.parse: for reading fields, never for rewriting exact text. */
export function parseJsonObject(text: string): JsonObject | null {
  try {
    const value: unknown = JSON.parse(text)
    return isJsonObject(value) ? value : null
  } catch {
    return null
  }
}

import { topLevelMembers, type JsonMember } from './top-level-members'

const QUOTE = 0x22

/** A member's value when it is a JSON string, decoded; null for any other value. */
export function stringValueOf(body: Buffer, member: JsonMember): string | null {
  return body[member.valueStart] === QUOTE ? (JSON.parse(body.toString('utf8', member.valueStart, member.valueEnd)) as string) : null
}

/**
 * The body's top-level `"model"` when it is a string (the last one, as JSON.parse counts a key
 * written twice), else null. The scan is the one capture reads too (topLevelMembers keeps it per
 * body), so asking here costs capture nothing more.
 */
export function requestModelOf(body: Buffer): string | null {
  const object = topLevelMembers(body)
  if (object === null) return null
  let model: string | null = null
  for (const member of object.members) if (member.key === 'model') model = stringValueOf(body, member)
  return model
}

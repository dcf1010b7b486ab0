/** Label of requests without a model (count_tokens of a body without one, non-JSON bodies). */
const NO_MODEL_LABEL = 'unknown'
/** Label of every model past the bound, or not named like a Claude model. */
const OTHER_MODEL_LABEL = 'other'

/** What a Claude model id looks like; anything else a client sends is not worth its own series. */
const CLAUDE_MODEL = /^claude-[a-z0-9.-]{1,64}$/

/**
 * Maps the client's `model` to a bounded label set for Prometheus. The model is whatever the
 * client wrote, so each distinct value would be a new series forever: a model named like a Claude
 * model keeps its own label while fewer than `maxLabels` are in use (first seen, first kept, for
 * the life of the process); the rest are `other`. A pattern alone would not bound the set (a
 * client could count up `claude-1`, `claude-2`, ...); the cap alone would hand the labels to
 * whatever garbage arrives first.
 */
export function createModelLabeler(maxLabels: number): (model: string | null) => string {
  const kept = new Set<string>()
  return (model) => {
    if (model === null) return NO_MODEL_LABEL
    if (kept.has(model)) return model
    if (kept.size >= maxLabels || !CLAUDE_MODEL.test(model)) return OTHER_MODEL_LABEL
    kept.add(model)
    return model
  }
}

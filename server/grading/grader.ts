/**
 * Asks a Claude model, with the server's own API key, to grade a user's prompt. The grading call
 * goes straight to the upstream API, not through the proxy: it is the server's own traffic, and
 * is neither recorded nor costed as the user's.
 */
import { GraphQLError } from 'graphql'
import { isJsonObject, parseJsonObject } from '../wire/json-object'
import { systemText, userPrompts } from '../wire/user-prompt'
import { GRADE_CRITERIA, GRADE_TOOL, GRADE_TOOL_NAME, gradeFromToolInput, MAX_SCORE, type PromptGradeRecord } from './prompt-grade'

export interface GraderOptions {
  /** Upstream base URL, e.g. https://api.anthropic.com. */
  forwardUrl: string
  /** The server's own Anthropic API key; unset: grading is refused with GRADER_NOT_CONFIGURED. */
  apiKey: string | undefined
  model: string
  /** Longest wait for the whole grading answer. */
  timeoutMs: number
}

/** The most of the user's prompts sent for grading: the latest ones, the rest elided. */
const MAX_PROMPT_CHARS = 40_000
/** The most of the system prompt sent as context for the grade. */
const MAX_SYSTEM_CHARS = 8_000

/** Why a grade could not be had from the grading model; `extensions.code` is GRADER_FAILED. */
export class GradingFailedError extends GraphQLError {
  constructor(message: string, upstreamStatus?: number) {
    super(message, { extensions: { code: 'GRADER_FAILED', ...(upstreamStatus !== undefined ? { upstreamStatus } : {}) } })
  }
}

/** The prompts a request body holds, and its system prompt, as the grader reads them. */
export interface GradingInput {
  prompts: string[]
  system: string
}

/** The user's prompts and the system prompt of a request body (no prompts when it holds none, or is not JSON). */
export function gradingInputOf(requestBody: string): GradingInput {
  const body = parseJsonObject(requestBody)
  return { prompts: userPrompts(body?.messages), system: systemText(body?.system) }
}

export class Grader {
  constructor(private readonly options: GraderOptions) {}

  get configured(): boolean {
    return this.options.apiKey !== undefined
  }

  get model(): string {
    return this.options.model
  }

  /** Grades `input` (which must hold at least one prompt) for the request `requestId`. */
  async grade(requestId: string, input: GradingInput): Promise<PromptGradeRecord> {
    const { forwardUrl, apiKey, model, timeoutMs } = this.options
    let res: Response
    try {
      res = await fetch(new URL('/v1/messages', forwardUrl), {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': apiKey ?? '', 'anthropic-version': '2023-06-01' },
        body: JSON.stringify({
          model,
          max_tokens: 4096,
          system: GRADER_INSTRUCTIONS,
          tools: [GRADE_TOOL],
          tool_choice: { type: 'tool', name: GRADE_TOOL_NAME },
          messages: [{ role: 'user', content: reviewRequest(input) }],
        }),
        signal: AbortSignal.timeout(timeoutMs),
      })
    } catch (err) {
      const reason = err instanceof Error && err.name === 'TimeoutError' ? `no answer within ${timeoutMs / 1000} s` : String((err as Error).cause ?? err)
      throw new GradingFailedError(`The grading model could not be reached: ${reason}`)
    }
    const text = await res.text()
    const answer = parseJsonObject(text)
    if (!res.ok) {
      const upstreamMessage = isJsonObject(answer?.error) && typeof answer.error.message === 'string' ? answer.error.message : text.slice(0, 200)
      throw new GradingFailedError(`The grading model answered ${res.status}: ${upstreamMessage}`, res.status)
    }
    const toolUse = Array.isArray(answer?.content) ? answer.content.find((block) => isJsonObject(block) && block.type === 'tool_use' && block.name === GRADE_TOOL_NAME) : undefined
    const grade = isJsonObject(toolUse) ? gradeFromToolInput(toolUse.input, requestId, typeof answer?.model === 'string' ? answer.model : model, new Date()) : null
    if (grade === null) throw new GradingFailedError(`The grading model did not answer with a grade in the ${GRADE_TOOL_NAME} format`)
    return grade
  }
}

const GRADER_INSTRUCTIONS = [
  'You are an expert in prompt engineering for coding agents such as Claude Code.',
  `Grade the user's prompts under review on each criterion from 1 (poor) to ${MAX_SCORE} (excellent), with specific, actionable feedback:`,
  ...GRADE_CRITERIA.map((c) => `- ${c.name}: ${c.asks}`),
  `Then give overall feedback and rewrite the latest prompt so it would score ${MAX_SCORE} on every criterion, keeping its intent.`,
  `Answer only by calling ${GRADE_TOOL_NAME}.`,
].join('\n')

/** The user message of the grading call: the prompts (latest last), and the system prompt as context. */
function reviewRequest({ prompts, system }: GradingInput): string {
  const joined = prompts.map((prompt, i) => `<prompt index="${i + 1}">\n${prompt}\n</prompt>`).join('\n')
  const kept = joined.length > MAX_PROMPT_CHARS ? `[earlier prompts elided]\n${joined.slice(-MAX_PROMPT_CHARS)}` : joined
  const context = system === '' ? '(none)' : system.length > MAX_SYSTEM_CHARS ? `${system.slice(0, MAX_SYSTEM_CHARS)}\n[system prompt truncated]` : system
  return `<system_prompt_of_the_agent>\n${context}\n</system_prompt_of_the_agent>\n<prompts_under_review>\n${kept}\n</prompts_under_review>`
}

/**
 * A grade of a user's prompt by a Claude model acting as a prompt-engineering reviewer: five
 * criteria scored 1 to 5 with feedback, overall feedback, and the prompt rewritten. The model
 * answers through a tool whose input schema is this shape, so its answer is data, not prose to
 * pick JSON out of.
 */
import { z } from 'zod'

export const GRADE_CRITERIA = [
  { key: 'clarity', name: 'Clarity', asks: 'Is the task stated unambiguously, with the desired outcome clear?' },
  { key: 'context', name: 'Context', asks: 'Does it give the background, constraints and files the model needs?' },
  { key: 'structure', name: 'Structure', asks: 'Is it organised so that the parts and their order are easy to follow?' },
  { key: 'examples', name: 'Examples', asks: 'Does it show examples of inputs, outputs or the expected style where they would help?' },
  { key: 'best_practice', name: 'Task-specific best practice', asks: 'Does it follow good practice for this kind of task (e.g. tests to run, acceptance criteria, scope limits)?' },
] as const

export type CriterionKey = (typeof GRADE_CRITERIA)[number]['key']

export const MAX_SCORE = 5

export interface CriterionGrade {
  key: CriterionKey
  name: string
  score: number
  feedback: string
}

export interface PromptGradeRecord {
  requestId: string
  /** The model that graded. */
  model: string
  /** Mean of the criteria's scores, 1 to 5. */
  score: number
  criteria: CriterionGrade[]
  feedback: string
  improvedPrompt: string
  gradedAt: Date
}

/** Name of the tool the grading model must call. */
export const GRADE_TOOL_NAME = 'record_prompt_grade'

const criterionSchema = z.object({ score: z.number().int().min(1).max(MAX_SCORE), feedback: z.string() })

/** What the tool's input must hold; anything else from the model is refused, not guessed at. */
const gradeInputSchema = z.object({
  criteria: z.object(Object.fromEntries(GRADE_CRITERIA.map((c) => [c.key, criterionSchema])) as Record<CriterionKey, typeof criterionSchema>),
  overall_feedback: z.string(),
  improved_prompt: z.string(),
})

/** The tool definition sent with the grading request: its JSON Schema mirrors `gradeInputSchema`. */
export const GRADE_TOOL = {
  name: GRADE_TOOL_NAME,
  description: 'Record the grade of the prompt under review.',
  input_schema: {
    type: 'object',
    properties: {
      criteria: {
        type: 'object',
        properties: Object.fromEntries(
          GRADE_CRITERIA.map((c) => [
            c.key,
            {
              type: 'object',
              description: c.asks,
              properties: { score: { type: 'integer', minimum: 1, maximum: MAX_SCORE }, feedback: { type: 'string' } },
              required: ['score', 'feedback'],
            },
          ]),
        ),
        required: GRADE_CRITERIA.map((c) => c.key),
      },
      overall_feedback: { type: 'string', description: 'What most improves the prompt, in a few sentences.' },
      improved_prompt: { type: 'string', description: 'The prompt rewritten to score 5 on every criterion, keeping its intent.' },
    },
    required: ['criteria', 'overall_feedback', 'improved_prompt'],
  },
} as const

/** The grade in the tool's input, or null when the input does not have the required shape. */
export function gradeFromToolInput(input: unknown, requestId: string, model: string, gradedAt: Date): PromptGradeRecord | null {
  const parsed = gradeInputSchema.safeParse(input)
  if (!parsed.success) return null
  const criteria = GRADE_CRITERIA.map(({ key, name }) => ({ key, name, ...parsed.data.criteria[key] }))
  const score = criteria.reduce((sum, c) => sum + c.score, 0) / criteria.length
  return { requestId, model, score, criteria, feedback: parsed.data.overall_feedback, improvedPrompt: parsed.data.improved_prompt, gradedAt }
}

import { In, type DataSource, type Repository } from 'typeorm'
import { UserInputError } from '../graphql/errors'
import { isRecordId } from '../records/record-id'
import type { RequestsService } from '../requests/requests.service'
import { PromptGradeEntity } from '../store/entities'
import { gradingInputOf, type Grader } from './grader'
import type { PromptGradeRecord } from './prompt-grade'

/** PostgreSQL's code for a foreign key violation: the request was deleted while it was graded. */
const FOREIGN_KEY_VIOLATION = '23503'

/** Grades the prompts of recorded requests and keeps each request's latest grade. */
export class GradingService {
  readonly #grades: Repository<PromptGradeEntity>

  constructor(
    dataSource: DataSource,
    private readonly requests: RequestsService,
    private readonly grader: Grader,
  ) {
    this.#grades = dataSource.getRepository(PromptGradeEntity)
  }

  /** Grades the user's prompts in the request's body and stores the grade, replacing any earlier one. */
  async grade(requestId: string): Promise<PromptGradeRecord> {
    if (!this.grader.configured) {
      throw new UserInputError('GRADER_NOT_CONFIGURED', 'Prompt grading uses the server\'s own Anthropic API key, and none is set: start Claudescope with GRADER_API_KEY', 'requestId')
    }
    const [bodies] = await this.requests.bodiesOf([requestId])
    if (!bodies) throw new UserInputError('REQUEST_NOT_FOUND', `No request with id ${requestId}`, 'requestId')
    const input = gradingInputOf(bodies.requestBody)
    if (input.prompts.length === 0) {
      throw new UserInputError('NOTHING_TO_GRADE', 'The request holds no prompt typed by a user (no user text besides tool results and Claude Code\'s own reminders)', 'requestId')
    }
    const grade = await this.grader.grade(requestId, input)
    try {
      await this.#grades.upsert(grade, ['requestId'])
    } catch (err) {
      if ((err as { driverError?: { code?: string } }).driverError?.code === FOREIGN_KEY_VIOLATION) {
        throw new UserInputError('REQUEST_NOT_FOUND', `Request ${requestId} was deleted while its prompt was graded`, 'requestId')
      }
      throw err
    }
    return grade
  }

  /** The stored grades of several requests, in the order of `ids`; null where there is none. */
  async gradesOf(ids: readonly string[]): Promise<(PromptGradeRecord | null)[]> {
    const valid = ids.filter((id) => isRecordId(id))
    const rows = valid.length === 0 ? [] : await this.#grades.findBy({ requestId: In(valid) })
    const byId = new Map(rows.map((row) => [row.requestId, row]))
    return ids.map((id) => byId.get(id) ?? null)
  }
}

import { In, type DataSource } from 'typeorm'
import { UserInputError } from '../graphql/errors'
import { RequestEntity } from '../store/entities/request.entity'
import { readByIds, startedAtWithin } from '../store/queries/request-window'
import { dryRunHeaderRules, type DryRunOutcome } from './dry-run-header-rules'
import type { HeaderRuleDefinition, ValidHeaderRule } from './header-rule'
import type { HeaderRulesService } from './header-rules.service'
import { validateHeaderRule } from './validate-header-rule'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** Dry runs of header rules on recorded requests: reads only the headers, path and model of one. */
export class HeaderRulesDryRunner {
  constructor(
    private readonly dataSource: DataSource,
    private readonly rules: HeaderRulesService,
  ) {}

  /** What `definitions` (checked as a create would check them; null: the stored rules) would do to request `requestId`. */
  async dryRun(definitions: readonly HeaderRuleDefinition[] | null, requestId: string): Promise<DryRunOutcome> {
    const rules: ReadonlyArray<ValidHeaderRule & { id?: string }> = definitions === null ? await this.rules.list() : definitions.map((rule, index) => validateHeaderRule(rule, `rules[${index}]`))
    const [row] = UUID.test(requestId)
      ? await readByIds(
          [requestId],
          (ids, window) =>
            this.dataSource.getRepository(RequestEntity).find({
              select: { id: true, path: true, model: true, requestHeaders: true, responseHeaders: true },
              where: { id: In(ids), ...startedAtWithin(window) },
            }),
          (row) => row.id,
        )
      : []
    if (row === undefined) throw new UserInputError('REQUEST_NOT_FOUND', `No request with id ${requestId}`, 'requestId')
    return dryRunHeaderRules(rules, row)
  }
}

import { randomUUID } from 'node:crypto'
import type { DataSource, EntityManager } from 'typeorm'
import type { OperationClient } from '../graphql/graphql-server'
import { checkPageSize } from '../graphql/page-size'
import { SettingsChangeEntity } from '../store/entities/settings-change.entity'

/** One settings change as a caller describes it. */
export interface SettingsChangeInput {
  /** The settings area, e.g. `headerRules`. */
  section: string
  /** The mutation that made it, e.g. `createHeaderRule`. */
  action: string
  /** One line for people. */
  summary: string
  before: unknown
  after: unknown
}

export interface SettingsChangeRecord extends SettingsChangeInput {
  id: string
  changedAt: Date
  clientAddress: string | null
  userAgent: string | null
}

/** Which client an audit entry names when a change came from no API client (start-up, tests). */
export const NO_CLIENT: OperationClient = { remoteAddress: null, userAgent: null }

/**
 * The audit list of settings changes. An entry is written with the `manager` of the transaction
 * making the change, so a change is never kept without its entry, nor an entry without its change.
 */
export class SettingsAudit {
  constructor(private readonly dataSource: DataSource) {}

  async record(manager: EntityManager, change: SettingsChangeInput, client: OperationClient): Promise<void> {
    await manager.insert(SettingsChangeEntity, {
      id: randomUUID(),
      changedAt: new Date(),
      ...change,
      // TypeORM writes a jsonb property as JSON text itself.
      before: (change.before ?? null) as object,
      after: (change.after ?? null) as object,
      clientAddress: client.remoteAddress,
      userAgent: client.userAgent,
    })
  }

  /** The newest `first` changes (at most 200), of one section when given, newest first. */
  async list(first: number, section?: string | null): Promise<SettingsChangeRecord[]> {
    const query = this.dataSource
      .getRepository(SettingsChangeEntity)
      .createQueryBuilder('c')
      .orderBy('c.changedAt', 'DESC')
      .addOrderBy('c.id', 'DESC')
      .limit(checkPageSize(first))
    if (section) query.where('c.section = :section', { section })
    return query.getMany()
  }
}

import { Column, Entity, JoinColumn, OneToOne, PrimaryColumn } from 'typeorm'
import type { CriterionGrade } from '../../grading/prompt-grade'
import { RequestEntity } from './request.entity'

/**
 * The latest grade of a request's prompt (see grading/). Deleted with its request: the foreign key
 * cascades, so retention and deletions need not know of it.
 */
@Entity({ name: 'prompt_grades' })
export class PromptGradeEntity {
  @PrimaryColumn({ name: 'request_id', type: 'uuid', primaryKeyConstraintName: 'prompt_grades_pkey' }) requestId: string
  @OneToOne(() => RequestEntity, { onDelete: 'CASCADE', createForeignKeyConstraints: true })
  @JoinColumn({ name: 'request_id', foreignKeyConstraintName: 'prompt_grades_request_fkey' })
  request?: RequestEntity
  @Column('text') model: string
  @Column('double precision') score: number
  @Column('jsonb') criteria: CriterionGrade[]
  @Column('text') feedback: string
  @Column({ name: 'improved_prompt', type: 'text' }) improvedPrompt: string
  @Column({ name: 'graded_at', type: 'timestamptz' }) gradedAt: Date
}

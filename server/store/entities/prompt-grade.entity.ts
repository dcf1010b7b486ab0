import { Column, Entity, PrimaryColumn } from 'typeorm'
import type { CriterionGrade } from '../../grading/prompt-grade'

/**
 * The latest grade of a request's prompt (see grading/). Deleted with its request by whatever
 * deletes requests (queries/delete-requests, and retention dropping a week): no foreign key ties it
 * to a partitioned `requests`, whose key holds `started_at` too.
 */
@Entity({ name: 'prompt_grades' })
export class PromptGradeEntity {
  @PrimaryColumn({ name: 'request_id', type: 'uuid', primaryKeyConstraintName: 'prompt_grades_pkey' }) requestId: string
  @Column('text') model: string
  @Column('double precision') score: number
  @Column('jsonb') criteria: CriterionGrade[]
  @Column('text') feedback: string
  @Column({ name: 'improved_prompt', type: 'text' }) improvedPrompt: string
  @Column({ name: 'graded_at', type: 'timestamptz' }) gradedAt: Date
}

import { Field, Float, ID, Int, ObjectType } from 'type-graphql'
import { MAX_SCORE, type CriterionGrade, type PromptGradeRecord } from './prompt-grade'

@ObjectType({ description: 'One criterion of a prompt grade.' })
export class PromptGradeCriterion implements CriterionGrade {
  @Field(() => String, { description: 'Stable key: clarity, context, structure, examples or best_practice.' }) key: CriterionGrade['key']
  @Field(() => String) name: string
  @Field(() => Int, { description: `1 (poor) to ${MAX_SCORE} (excellent).` }) score: number
  @Field(() => String) feedback: string
}

@ObjectType({ description: "A Claude model's review of the user's prompts in a request: five criteria, feedback and a rewritten prompt." })
export class PromptGrade implements PromptGradeRecord {
  @Field(() => ID) requestId: string
  @Field(() => String, { description: 'The model that graded.' }) model: string
  @Field(() => Float, { description: `Mean of the criteria's scores, 1 to ${MAX_SCORE}.` }) score: number
  @Field(() => Int, { description: 'The best score a criterion can get.' }) get maxScore(): number {
    return MAX_SCORE
  }
  @Field(() => [PromptGradeCriterion]) criteria: PromptGradeCriterion[]
  @Field(() => String, { description: 'What most improves the prompt.' }) feedback: string
  @Field(() => String, { description: 'The latest prompt rewritten to score best on every criterion.' }) improvedPrompt: string
  @Field(() => Date) gradedAt: Date
}

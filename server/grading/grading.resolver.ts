import type DataLoader from 'dataloader'
import { Arg, Ctx, FieldResolver, ID, Mutation, Resolver, Root } from 'type-graphql'
import { Request } from '../requests/request.types'
import type { RequestSource } from '../requests/request-row'
import type { PromptGradeRecord } from './prompt-grade'
import type { GradingService } from './grading.service'
import { PromptGrade } from './grading.types'

/** What the grading resolvers need of the API context. */
export interface GradingContext {
  grading: GradingService
  /** Fresh per operation, so a page of requests reads its grades in one query. */
  gradeLoader: DataLoader<string, PromptGradeRecord | null>
}

@Resolver(() => Request)
export class GradingResolver {
  @Mutation(() => PromptGrade, {
    description:
      "Asks a Claude model (GRADER_MODEL, with the server's own GRADER_API_KEY) to grade the user's prompts in a request on five criteria, 1 to 5, with feedback and a rewritten prompt; stores the grade on the request, replacing any earlier one.",
  })
  gradePrompt(@Ctx() ctx: GradingContext, @Arg('requestId', () => ID) requestId: string): Promise<PromptGradeRecord> {
    return ctx.grading.grade(requestId)
  }

  @FieldResolver(() => PromptGrade, { nullable: true, description: 'The latest grade of the prompt (see gradePrompt); null until graded.' })
  promptGrade(@Root() request: RequestSource, @Ctx() ctx: GradingContext): Promise<PromptGradeRecord | null> {
    return ctx.gradeLoader.load(request.id)
  }
}

import { Ctx, Query, Resolver } from 'type-graphql'
import type { StorageService } from './storage.service'
import { Storage } from './storage.types'

/** What the storage resolver needs of the API context. */
export interface StorageContext {
  storage: StorageService
}

@Resolver()
export class StorageResolver {
  @Query(() => Storage, { description: 'Space the database and each of its tables take on disk.' })
  storage(@Ctx() ctx: StorageContext): Promise<Storage> {
    return ctx.storage.read()
  }
}

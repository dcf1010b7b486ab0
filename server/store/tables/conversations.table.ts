/** Tables of conversations and threads (see the migration that creates them). */
export const CONVERSATIONS_TABLE = 'conversations'
export const CONVERSATION_THREADS_TABLE = 'conversation_threads'
export const CONVERSATION_MESSAGES_TABLE = 'conversation_messages'
export const CONVERSATION_REQUESTS_TABLE = 'conversation_requests'
export const IMPORTED_TURNS_TABLE = 'imported_turns'

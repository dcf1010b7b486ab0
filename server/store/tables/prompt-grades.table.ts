/** `prompt_grades`: the latest grade of a request's prompt (see grading/). */
export const PROMPT_GRADES_TABLE = 'prompt_grades'

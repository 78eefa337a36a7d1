// Self-Instruct: instruction data grown from seed tasks by a teacher model.
export { selfInstruct, type SelfInstructResult, type RoundRecord, type Candidate } from './loop.js';
export { SELF_INSTRUCT_DEFAULTS, validateSelfInstruct, type SelfInstructConfig } from './config.js';
export { LocalTeacher, type Teacher, type TeacherRequest, type TeacherReply } from './teacher.js';
export { HttpTeacher, type HttpTeacherOptions } from './http-teacher.js';
export { RougePool, rougeL, rougeLText, rougeTokens } from './rouge.js';
export { loadSeedTasks, DEFAULT_SEED_TASKS, type SeedTask, type AlpacaRecord } from './tasks.js';
export type { SelfInstructStats } from './stats.js';

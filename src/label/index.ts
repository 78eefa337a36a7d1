// The human in RLHF: a labeling web app (chat with thumbs, InstructGPT's ranking task, an admin
// page with agreement), its SQLite storage, and the exports the trainers read.
export { labelApp, hasLabelSession, webDir, SESSION_COOKIE, type LabelAppOptions } from './app.js';
export { LABEL_DEFAULTS, labelConfig, SAMPLE_DEFAULTS, DEFAULT_PER_PROMPT, FLAGS, ROLES, type LabelAppConfig, type SampleConfig, type Flag, type UserRole } from './config.js';
export { openLabelDb, SCHEMA_VERSION, type LabelDb } from './db.js';
export { addUser, setPassword, listUsers, checkLogin, hashPassword, verifyPassword, type User } from './auth.js';
export { addTaskSet, nextTask, submitRanking, SubmitError, type TaskInput, type TaskView, type Submission } from './tasks.js';
export { setChatLabel, type ChatFeedback } from './feedback.js';
export { kendallTauB, pairCounts, agreement, type AgreementReport, type LabeledRanking } from './agreement.js';
export { rankingRecords, ktoRecords, labeledRankings, toJsonl, type ExportedRanking, type KtoRecord } from './export.js';
export { labelReport, type LabelReport } from './report.js';
export { readPrompts, readResponses, sampleResponses } from './sources.js';

// Public API of serving: an OpenAI-compatible server with continuous batching.
//
//   const app = await createServer({ models: await loadModels(['runs/x/sft/model']) });
//   await app.listen({ host: '127.0.0.1', port: 8080 });   // POST /v1/chat/completions, ...
//
// `options.plugins` mounts more fastify plugins on the same instance (the web app); they find the
// models in `app.servedModels`.
export { createServer, loadModels, SERVER_DEFAULTS, type ServerOptions, type ServerPlugin } from './server.js';
export { ServedModel, endTokenIds, COMPLETION_DEFAULTS, type CompletionParams, type CompletionResult, type ChoiceResult, type Completion, type CompletionEvents } from './engine.js';
export { Scheduler, QueueFullError, SCHEDULER_DEFAULTS, SAMPLING_DEFAULTS, type SchedulerOptions, type SamplingParams, type BatchRequest, type RequestHandle, type FinishReason, type SchedulerStats } from './scheduler.js';
export { TextStream } from './text.js';
export { ApiError, type ErrorBody } from './errors.js';

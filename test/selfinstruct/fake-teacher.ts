// A scripted teacher for the loop's tests: a pure function of each request (its prompt and seed),
// so runs are reproducible. It writes numbered instructions from a few patterns (so some are near
// copies, some hit the keyword filter), answers the classification question by a keyword, and
// writes instances in the format each prompt asks for.
import { Rng } from '../../src/engine/rng.js';
import type { Teacher, TeacherReply, TeacherRequest } from '../../src/selfinstruct/teacher.js';

const VERBS = ['Write', 'List', 'Explain', 'Describe', 'Summarize', 'Suggest', 'Classify', 'Translate', 'Compare', 'Name'];
const OBJECTS = ['a poem', 'three reasons', 'the history', 'a recipe', 'two advantages', 'the sentiment', 'a short story', 'five tips', 'an example', 'a plan'];
const TOPICS = ['about winter', 'for a picnic', 'of the ocean', 'for new students', 'of trains', 'about friendship', 'of a small garden', 'for a rainy day', 'about mountains', 'of city life', 'in a video', 'for saving money'];

/** The reply to one request, by which prompt it is. */
export function scriptedReply(r: TeacherRequest): string {
  const rng = new Rng(r.seed);
  if (r.prompt.startsWith('Come up with a series of tasks')) {
    const n = 3 + rng.int(4);
    const items = Array.from({ length: n }, () => `${VERBS[rng.int(VERBS.length)]} ${OBJECTS[rng.int(OBJECTS.length)]} ${TOPICS[rng.int(TOPICS.length)]}.`);
    const next = Number(/(\d+)\.$/.exec(r.prompt)?.[1] ?? '9');
    return ' ' + items.map((t, i) => (i === 0 ? t : `${next + i}. ${t}`)).join('\n');
  }
  if (r.prompt.startsWith('Can the following task')) {
    const task = /Task: (.*)\nIs it classification\?$/.exec(r.prompt)?.[1] ?? '';
    return task.startsWith('Classify') ? ' Yes' : ' No';
  }
  const task = /Task: ([^\n]*)\n$/.exec(r.prompt)?.[1] ?? '';
  if (r.prompt.startsWith('Given the classification task')) return `Class label: positive\nInput: ${task} is lovely.\nClass label: negative\nInput: ${task} is dreadful.`;
  if (task.includes('five tips')) return 'Output: '; // an empty instance: the task gets none
  return `Example 1\nInput: ${task.toLowerCase()}\nOutput: Here is ${task.toLowerCase()} as asked.`;
}

export class ScriptedTeacher implements Teacher {
  readonly name = 'scripted';
  calls = 0;
  constructor(private readonly failAfter = Infinity) {}

  async complete(requests: TeacherRequest[]): Promise<TeacherReply[]> {
    if (++this.calls > this.failAfter) throw new Error('teacher went away');
    return requests.map((r) => ({ text: scriptedReply(r), truncated: false }));
  }
}

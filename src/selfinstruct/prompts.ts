// The teacher's three prompts and the parsers of its answers, in the shape of Self-Instruct's
// templates (Wang et al. 2022, Tables 5–8), with few-shot examples written for this project:
//   1. instruction generation: a numbered list of 8 tasks, the teacher continues with task 9 on;
//   2. classification identification: "Is it classification? Yes/No" after few-shot pairs;
//   3. instance generation: input-first for generation tasks ("Input: ... Output: ..."),
//      output-first for classification tasks ("Class label: ... Input: ..."), so a classification
//      task gets inputs for every label instead of mostly the most common one.

/** The numbered task list the teacher continues: "1. ...\n...\n8. ...\n9." */
export function instructionPrompt(instructions: string[]): string {
  const lines = instructions.map((t, i) => `${i + 1}. ${t.replace(/\s+/g, ' ').trim().replace(/:$/, '')}`);
  return `Come up with a series of tasks:\n${lines.join('\n')}\n${instructions.length + 1}.`;
}

/** Stop sequences for instruction generation: a blank line, or the list reaching item 16 (the
 * paper's). */
export const INSTRUCTION_STOP = ['\n\n', '\n16', '16.', '16 .'];

/** New instructions from the teacher's continuation of instructionPrompt(k tasks): the text is
 * task k+1 and whatever numbered items follow it. When the teacher stopped at its token limit the
 * last item may be cut off and is left out (`truncated` counts it). */
export function parseInstructions(text: string, finishedByLength: boolean): { instructions: string[]; truncated: number } {
  const items = text.split(/\n\s*\d+\s?[.、]\s?/).map((s) => s.trim());
  let truncated = 0;
  if (finishedByLength && items.length > 0) {
    items.pop();
    truncated = 1;
  }
  return { instructions: items.filter((s) => s.length > 0), truncated };
}

const CLASSIFY_EXAMPLES: [string, boolean][] = [
  ['Decide whether the review is positive or negative.', true],
  ['Write a short story about a lighthouse keeper.', false],
  ['Is the number prime? Answer yes or no.', true],
  ['Suggest a name for a new coffee shop.', false],
  ['Which continent is the country in?', true],
  ['Explain how a bicycle gear works.', false],
  ['判断这句话是疑问句还是陈述句。', true],
  ['写一首关于秋天的短诗。', false],
];

/** The classification question for one instruction. */
export function classificationPrompt(instruction: string): string {
  const shots = CLASSIFY_EXAMPLES.map(([t, yes]) => `Task: ${t}\nIs it classification? ${yes ? 'Yes' : 'No'}`).join('\n\n');
  return `Can the following task be regarded as a classification task with finite output labels?\n\n${shots}\n\nTask: ${instruction.trim()}\nIs it classification?`;
}

export const CLASSIFICATION_STOP = ['\n'];

/** The teacher's yes/no, or null when it said neither. */
export function parseClassification(text: string): boolean | null {
  const t = text.trim().toLowerCase();
  if (/^(yes|是)/.test(t)) return true;
  if (/^(no|否|不是)/.test(t)) return false;
  return null;
}

const INPUT_FIRST_EXAMPLES = [
  'Task: List three fruits that are high in vitamin C.\nOutput: Oranges, kiwis and strawberries.',
  'Task: Turn the sentence into a question.\nExample 1\nInput: The library opens at nine.\nOutput: When does the library open?\nExample 2\nInput: Sam bought a red bike.\nOutput: What did Sam buy?',
  'Task: 把下面的词语按笔画从少到多排序。\nExample 1\nInput: 森林、大、木\nOutput: 大、木、森林',
];

/** Input-first instance generation for a generation task. */
export function inputFirstPrompt(instruction: string): string {
  return 'Come up with examples for the following tasks. Try to generate multiple examples when possible. '
    + 'If the task doesn\'t require additional input, you can generate the output directly.\n\n'
    + `${INPUT_FIRST_EXAMPLES.join('\n\n')}\n\nTask: ${instruction.trim()}\n`;
}

const OUTPUT_FIRST_EXAMPLES = [
  'Task: Classify the sentiment of the sentence as positive or negative.\nClass label: positive\nInput: The hike was long but the view made it worth it.\nClass label: negative\nInput: My order arrived broken and nobody answered my emails.',
  'Task: Is the number even or odd?\nClass label: even\nInput: 14\nClass label: odd\nInput: 9',
];

/** Output-first instance generation for a classification task: a class label, then an input that
 * has it. */
export function outputFirstPrompt(instruction: string): string {
  return 'Given the classification task definition and the class labels, generate an input that corresponds to each of the class labels. '
    + 'If the task doesn\'t require input, just generate the correct class label.\n\n'
    + `${OUTPUT_FIRST_EXAMPLES.join('\n\n')}\n\nTask: ${instruction.trim()}\n`;
}

/** Instance generation stops where the teacher starts another task. */
export const INSTANCE_STOP = ['\nTask:', 'Task:'];

const stripLabel = (s: string, label: RegExp): string => s.replace(label, '').trim();

/** Instances from an input-first answer: "Example N" blocks of "Input: ... Output: ...", or a
 * single "Output: ..." (no input needed). Text before the first Output is the input. */
export function parseInputFirst(text: string): { input: string; output: string }[] {
  const blocks = text.split(/^\s*Example\s*\d+\s*:?\s*$/im).map((b) => b.trim()).filter(Boolean);
  const out: { input: string; output: string }[] = [];
  for (const b of blocks) {
    const m = /^([\s\S]*?)Output\s*\d*\s*[:：]([\s\S]*)$/i.exec(b);
    if (!m) continue;
    out.push({ input: stripLabel(m[1].trim(), /^Input\s*\d*\s*[:：]/i), output: m[2].trim() });
  }
  return out;
}

/** Instances from an output-first answer: "Class label: L\nInput: ..." blocks; the label is the
 * output. A label with no input is an instance with an empty input. */
export function parseOutputFirst(text: string): { input: string; output: string }[] {
  const out: { input: string; output: string }[] = [];
  for (const block of text.split(/Class label\s*[:：]/i).slice(1)) {
    const [first, ...rest] = block.split('\n');
    const label = first.trim();
    if (!label) continue;
    out.push({ input: stripLabel(rest.join('\n').trim(), /^Input\s*\d*\s*[:：]/i), output: label });
  }
  return out;
}

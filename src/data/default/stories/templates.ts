// A small template language for story sentences, written by hand because what it needs is tiny and
// tied to the story state (a grammar library would bring far more than choices and slots):
//   [a|b|c]   one of the options, drawn from the rng (no nesting; an option may hold slots)
//   {h}       a variable: a character's name, or a plot prop such as {thing}
//   {h.his}   a character's pronoun or description: name, Name, he, He, him, his, His, kind,
//             and for a pet its sound and move
// A template prefixed "pet:" or "kid:" is used only when the companion is a pet or a child, so one
// list can serve both.
import type { Rng } from '../../../engine/rng.js';
import type { Character } from './lexicon.js';

export type Vars = Record<string, string>;

/** What a template is filled from: the characters by role (h, p, g, n), the props, and whether the
 * companion is a pet. */
export interface Scene {
  cast: Record<string, Character>;
  props: Vars;
  pet: boolean;
}

const cap = (s: string): string => (s ? s[0].toUpperCase() + s.slice(1) : s);

/** A variable's value: `{role}` or `{role.field}` for a character, else a prop. */
function lookup(scene: Scene, key: string): string | undefined {
  const dot = key.indexOf('.');
  const c = scene.cast[dot < 0 ? key : key.slice(0, dot)];
  if (!c) return scene.props[key];
  switch (dot < 0 ? 'name' : key.slice(dot + 1)) {
    case 'name': return c.name;
    case 'Name': return c.Name;
    case 'he': return c.he;
    case 'He': return cap(c.he);
    case 'him': return c.him;
    case 'his': return c.his;
    case 'His': return cap(c.his);
    case 'kind': return c.kind;
    case 'sound': return c.sound;
    case 'move': return c.move;
    default: return undefined;
  }
}

/** Whether a template applies to a story whose companion is (or is not) a pet. */
export function applies(template: string, petCompanion: boolean): boolean {
  if (template.startsWith('pet:')) return petCompanion;
  if (template.startsWith('kid:')) return !petCompanion;
  return true;
}

/** A template split once into its parts: literal text, a choice among options (each split in
 * turn), or a variable. Stories render millions of templates; parsing each once keeps that cheap. */
type Part = string | { choice: Part[][] } | { slot: string };
const compiled = new Map<string, Part[]>();

function parse(text: string): Part[] {
  const parts: Part[] = [];
  const re = /\[([^[\]]*)\]|\{([\w.]+)\}/g;
  let last = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (m.index > last) parts.push(text.slice(last, m.index));
    parts.push(m[1] !== undefined ? { choice: m[1].split('|').map(parse) } : { slot: m[2] });
    last = m.index + m[0].length;
  }
  if (last < text.length) parts.push(text.slice(last));
  return parts;
}

/** One rendering of a template: choices drawn, variables filled; an unknown variable throws, so a
 * typo in a template fails the tests instead of printing "{thnig}". */
export function expand(template: string, scene: Scene, rng: Rng): string {
  let parts = compiled.get(template);
  if (!parts) compiled.set(template, (parts = parse(template.replace(/^(pet|kid):/, ''))));
  const render = (ps: Part[]): string => {
    let out = '';
    for (const p of ps) {
      if (typeof p === 'string') out += p;
      else if ('choice' in p) out += render(p.choice[rng.int(p.choice.length)]);
      else {
        const v = lookup(scene, p.slot);
        if (v === undefined) throw new Error(`story template: no variable {${p.slot}} in "${template}"`);
        out += v;
      }
    }
    return out;
  };
  return render(parts);
}

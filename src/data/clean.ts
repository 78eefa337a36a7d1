// Unicode normalisation and cleaning: the first stages, so every later stage (hashes, n-grams,
// regexes) sees one spelling of each character and one kind of whitespace.
import type { CleanConfig, NormalizeConfig } from './config.js';
import { Stage, type Doc, type Drop } from './stage.js';

/** NFC or NFKC. NFKC also folds compatibility forms (ligatures, full-width letters, superscripts),
 * which helps dedup of web text but changes meaning in maths ("x²" becomes "x2"). */
export class NormalizeStage extends Stage {
  readonly name = 'normalize';
  constructor(private readonly cfg: NormalizeConfig) {
    super();
  }

  protected apply(doc: Doc): Doc {
    const text = doc.text.normalize(this.cfg.form);
    if (text !== doc.text) this.note(this.cfg.form);
    return text === doc.text ? doc : { ...doc, text };
  }
}

// C0/C1 control characters other than tab and newline, plus zero-width and bidi formatting
// characters that are invisible in text yet split words for every later stage.
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]/g;
// Spaces other than the ASCII one: tab, no-break, the en/em family, ideographic.
const ODD_SPACE = /[\t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]/g;

export class CleanStage extends Stage {
  readonly name = 'clean';
  private readonly blankRun: RegExp;
  private readonly blankReplacement: string;

  constructor(cfg: CleanConfig) {
    super();
    this.blankRun = new RegExp(`\\n{${cfg.maxBlankLines + 2},}`, 'g');
    this.blankReplacement = '\n'.repeat(cfg.maxBlankLines + 1);
  }

  protected apply(doc: Doc): Doc | Drop {
    let t = doc.text.replace(/\r\n?|[\u2028\u2029\u0085]/g, '\n');
    const noControl = t.replace(CONTROL, '');
    if (noControl.length !== t.length) this.note('control_chars', t.length - noControl.length);
    t = noControl
      .replace(ODD_SPACE, ' ')
      .replace(/ {2,}/g, ' ')
      .replace(/ *\n */g, '\n')
      .replace(this.blankRun, this.blankReplacement)
      .trim();
    if (t.length === 0) return { drop: 'empty' };
    if (t !== doc.text) this.note('whitespace_or_controls');
    return t === doc.text ? doc : { ...doc, text: t };
  }
}

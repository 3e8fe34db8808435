// Writes generated rows as JSON for native tools (model/examples/segment_rows.rs): each row's
// digits, styles, its strokes in pad units (drawing order) and the digit of each stroke.
//
//   node tests/e2e/rows-json.mjs [--tight | --visual] [--typeface | --typeface-share P]
//                                [--slant LO,HI] [--sizes LO,HI] [--corrections 0.3] [--n 1000] [--seed 1] > rows.json
//
// `--typeface-share P`: each row is in typeface glyphs with probability P (drawn for row i of
// the seed alone), else handwriting; `--typeface` is P = 1.
import { makeSequence, mulberry32, sequenceSeed, TIGHT } from './strokes.mjs';

const args = { n: 1000, seed: 1, options: {}, extra: {}, corrections: 0, typefaceShare: 0 };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  if (a === '--tight') args.options = TIGHT;
  else if (a === '--visual') args.options = { spacing: 'visual' };
  else if (a === '--typeface') args.typefaceShare = 1;
  else if (a === '--typeface-share') args.typefaceShare = Number(argv[++i]);
  else if (a === '--slant') args.extra.slantRange = argv[++i].split(',').map(Number);
  else if (a === '--sizes') args.extra.sizeRange = argv[++i].split(',').map(Number);
  else if (a === '--corrections') args.corrections = Number(argv[++i]);
  else if (a === '--n') args.n = Number(argv[++i]);
  else if (a === '--seed') args.seed = Number(argv[++i]);
  else throw new Error(`unknown argument ${a} (see the top of rows-json.mjs)`);
}
if (!(args.typefaceShare >= 0 && args.typefaceShare <= 1)) throw new Error('--typeface-share wants a share in [0, 1]');
const typeface = (i) => mulberry32(sequenceSeed(args.seed, i) ^ 0x7f4a7c15)() < args.typefaceShare;
const rows = Array.from({ length: args.n }, (_, i) => makeSequence(args.seed, i, {
  ...args.options, ...args.extra, corrections: args.corrections, glyphs: typeface(i) ? 'typeface' : 'handwriting',
})).map((s) => ({
  digits: s.digits,
  strokes: s.strokes.map((stroke) => stroke.map(([x, y]) => [Math.round(x * 10) / 10, Math.round(y * 10) / 10])),
  stroke_digits: s.strokeDigits,
  styles: s.styles,
}));
process.stdout.write(`${JSON.stringify(rows)}\n`);

// Writes generated rows as JSON for native tools (model/examples/segment_rows.rs): each row's
// digits, styles, its strokes in pad units (drawing order) and the digit of each stroke.
//
//   node tests/e2e/rows-json.mjs [--tight | --visual] [--corrections 0.3] [--n 1000] [--seed 1] > rows.json
import { makeSequences, TIGHT } from './strokes.mjs';

const args = { n: 1000, seed: 1, options: {}, corrections: 0 };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  if (a === '--tight') args.options = TIGHT;
  else if (a === '--visual') args.options = { spacing: 'visual' };
  else if (a === '--corrections') args.corrections = Number(argv[++i]);
  else if (a === '--n') args.n = Number(argv[++i]);
  else if (a === '--seed') args.seed = Number(argv[++i]);
  else throw new Error(`unknown argument ${a} (see the top of rows-json.mjs)`);
}
const rows = makeSequences(args.seed, args.n, { ...args.options, corrections: args.corrections }).map((s) => ({
  digits: s.digits,
  strokes: s.strokes.map((stroke) => stroke.map(([x, y]) => [Math.round(x * 10) / 10, Math.round(y * 10) / 10])),
  stroke_digits: s.strokeDigits,
  styles: s.styles,
}));
process.stdout.write(`${JSON.stringify(rows)}\n`);

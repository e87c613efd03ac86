// One table of command-line options from which everything else comes: the yargs parser (and so
// --help), the validation of a --config JSON file, of presets and of the command line (one function,
// one wording of errors), and the camelCase TypeScript type of the resolved options.
//
//   const TABLE = {
//     batch_size: { type: 'int', default: 2, min: 1, describe: 'images per iteration' },
//     netG: { type: 'string', choices: NET_G, default: 'unet_256', describe: 'generator' },
//     lambda_kl: { type: 'number', default: 0.01, min: 0, to: 'lambdaKL', describe: 'KL weight' },
//   } as const satisfies OptionTable;
//   type Opts = OptionsOf<typeof TABLE>; // { batchSize: number; netG: 'unet_64' | ...; lambdaKL: number }
//
// Names are snake_case (as the official Python code's); the resolved object is camelCase (`to` when the
// automatic conversion does not give the wanted name). Entries without a default are optional.
import { readFileSync } from 'node:fs';
import yargs, { type Argv, type Options as YargsOption } from 'yargs';

interface SpecBase {
  describe: string;
  /** The camelCase property of the resolved options (default: the name in camelCase). */
  to?: string;
  /** Section of --help. */
  group?: string;
  /** Must be given (on the command line or in a config file). */
  demand?: boolean;
}
/** An integer option of an option table (min, max, default). */
export interface IntSpec extends SpecBase {
  type: 'int' | 'number';
  default?: number;
  min?: number;
  /** Values must be greater than this (an open bound: `--lr` > 0). */
  above?: number;
  max?: number;
  choices?: readonly number[];
}
/** A string option of an option table (choices, default). */
export interface StringSpec extends SpecBase {
  type: 'string';
  default?: string;
  choices?: readonly string[];
}
/** A boolean option of an option table (a --no_ form when default true). */
export interface BooleanSpec extends SpecBase {
  type: 'boolean';
  default?: boolean;
  /** The resolved property is the negation (`no_split: true` gives `split: false`). */
  invert?: boolean;
  choices?: undefined;
}
/** One entry of an option table. */
export type OptionSpec = IntSpec | StringSpec | BooleanSpec;
/** An option table: option name (snake_case) -> its spec. */
export type OptionTable = Record<string, OptionSpec>;

/** The value type of one entry: its choices, else number, string or boolean. */
export type ValueOf<S> = S extends { choices: readonly (infer C)[] }
  ? C
  : S extends { type: 'int' | 'number' }
    ? number
    : S extends { type: 'string' }
      ? string
      : boolean;

/** snake_case to camelCase, as `camel` does at run time: `batch_size` -> `batchSize`, `num_Ds` -> `numDs`. */
export type CamelCase<S extends string> = S extends `${infer H}_${infer T}`
  ? `${H}${CamelCase<Capitalize<T>>}`
  : S;
type PropOf<K, S> = S extends { to: infer T extends string } ? T : CamelCase<K & string>;
type HasValue<S> = S extends { default: unknown } ? true : S extends { demand: true } ? true : false;
type Simplify<T> = { [K in keyof T]: T[K] } & {};

/** The resolved (camelCase) options of a table: entries with a default (or demanded) are required. */
export type OptionsOf<T extends OptionTable> = Simplify<
  { -readonly [K in keyof T as HasValue<T[K]> extends true ? PropOf<K, T[K]> : never]: ValueOf<T[K]> } & {
    -readonly [K in keyof T as HasValue<T[K]> extends true ? never : PropOf<K, T[K]>]?: ValueOf<T[K]>;
  }
>;

/** Raw values keyed by the table's snake_case names: a preset, a config file, the command line. */
export type ValuesOf<T extends OptionTable> = { -readonly [K in keyof T]?: ValueOf<T[K]> };

/** snake_case to camelCase (`lambda_L1` -> `lambdaL1`). */
export function camel(name: string): string {
  return name.replace(/_(.)/g, (_, c: string) => c.toUpperCase());
}

/** The resolved property name of an entry. */
export function propName(name: string, spec: OptionSpec): string {
  return spec.to ?? camel(name);
}

/** What a value should be, for error messages: "an integer >= 1", "one of AtoB, BtoA". */
export function expected(spec: OptionSpec): string {
  if (spec.choices) return `one of ${spec.choices.join(', ')}`;
  if (spec.type === 'boolean') return 'true or false';
  if (spec.type === 'string') return 'a string';
  const kind = spec.type === 'int' ? 'an integer' : 'a number';
  if (spec.above !== undefined && spec.max !== undefined) return `${kind} in (${spec.above}, ${spec.max}]`;
  if (spec.above !== undefined) return `${kind} > ${spec.above}`;
  if (spec.min !== undefined && spec.max !== undefined) return `${kind} in [${spec.min}, ${spec.max}]`;
  if (spec.min !== undefined) return `${kind} >= ${spec.min}`;
  if (spec.max !== undefined) return `${kind} <= ${spec.max}`;
  return kind;
}

/** A bad option value or config key; the message names it. */
export class OptionError extends Error {}

const show = (v: unknown) => (typeof v === 'string' ? JSON.stringify(v) : String(v));

/**
 * Checks one value against its entry and returns it typed. `fromText`: the value came from the command
 * line as text, so numbers are parsed (strictly: "3x" is not 3); from JSON a number must be a number.
 * `label` names the option in the message ("--nz", or "nz" with the file in front).
 */
export function checkValue(spec: OptionSpec, label: string, value: unknown, fromText = false): unknown {
  const fail = (): never => {
    const got = fromText ? String(value) : show(value);
    const what = typeof value === 'string' && !fromText ? ' (a string)' : '';
    throw new OptionError(`${label} must be ${expected(spec)}, got ${got}${what}`);
  };
  let v = value;
  if (Array.isArray(v)) {
    throw new OptionError(`${label} must be ${expected(spec)}, got the list ${JSON.stringify(v)}`);
  }
  if (spec.type === 'int' || spec.type === 'number') {
    if (fromText && typeof v === 'string') {
      const t = v.trim();
      const ok = spec.type === 'int' ? /^[+-]?\d+$/.test(t) : t !== '' && Number.isFinite(Number(t));
      if (!ok) fail();
      v = Number(t);
    }
    if (typeof v !== 'number' || !Number.isFinite(v)) fail();
    const n = v as number;
    if (spec.type === 'int' && !Number.isInteger(n)) fail();
    if ((spec.min !== undefined && n < spec.min) || (spec.max !== undefined && n > spec.max)) fail();
    if (spec.above !== undefined && !(n > spec.above)) fail();
    if (spec.choices && !spec.choices.includes(n)) fail();
    return n;
  }
  if (spec.type === 'boolean') {
    if (fromText && (v === 'true' || v === 'false')) v = v === 'true';
    if (typeof v !== 'boolean') fail();
    return v;
  }
  if (typeof v !== 'string') fail();
  if (spec.choices && !(spec.choices as readonly string[]).includes(v as string)) fail();
  return v;
}

/**
 * Checks a set of snake_case values (a preset, a parsed config file, the command line): every key must
 * be in the table and every value valid. `where` prefixes the messages (a file name); `cli` labels the
 * options `--name` and parses text. Returns the values with numbers parsed.
 */
export function validateValues<T extends OptionTable>(
  values: Record<string, unknown>,
  table: T,
  opts: { where?: string; cli?: boolean } = {},
): ValuesOf<T> {
  const prefix = opts.where ? `${opts.where}: ` : '';
  const unknown = Object.keys(values).filter((k) => !Object.hasOwn(table, k));
  if (unknown.length) {
    const hints = unknown.map((k) => {
      const near = Object.entries(table).find(
        ([n, s]) => propName(n, s) === k || n.toLowerCase() === k.toLowerCase(),
      );
      return near ? `${k} (did you mean ${near[0]}?)` : k;
    });
    throw new OptionError(
      `${prefix}unknown option${unknown.length > 1 ? 's' : ''} ${hints.join(', ')}; --help lists the options`,
    );
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(values)) {
    if (v === undefined) continue;
    out[k] = checkValue(table[k], `${prefix}${opts.cli ? '--' : ''}${k}`, v, opts.cli);
  }
  return out as ValuesOf<T>;
}

/** Validates a parsed --config JSON document: an object of snake_case options. */
export function validateConfig<T extends OptionTable>(json: unknown, table: T, file: string): ValuesOf<T> {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new OptionError(`${file}: a config file must hold one JSON object of options`);
  }
  return validateValues(json as Record<string, unknown>, table, { where: file });
}

/** Reads and validates a --config file. */
export function readConfig<T extends OptionTable>(file: string, table: T): ValuesOf<T> {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new OptionError(`cannot read config ${file}: ${(e as Error).message}`);
  }
  return validateConfig(json, table, file);
}

/**
 * The camelCase options from layers of snake_case values, later layers winning: defaults < ... < last.
 * Every layer must have been validated. Demanded entries without a value fail here.
 */
export function resolveOptions<T extends OptionTable>(table: T, ...layers: ValuesOf<T>[]): OptionsOf<T> {
  const out: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(table)) {
    let v: unknown = spec.default;
    for (const layer of layers) {
      const x = (layer as Record<string, unknown>)[name];
      if (x !== undefined) v = x;
    }
    if (v === undefined && spec.demand) throw new OptionError(`--${name} is required: ${spec.describe}`);
    if (spec.type === 'boolean' && spec.invert && v !== undefined) v = !v;
    out[propName(name, spec)] = v;
  }
  return out as OptionsOf<T>;
}

/** The defaults of a table, resolved. */
export function defaultsOf<T extends OptionTable>(table: T): OptionsOf<T> {
  return resolveOptions(table);
}

/**
 * yargs options for a table. Numbers are left as text for `validateValues(..., { cli: true })` (so
 * "--nz 3x" is an error naming --nz, not NaN) and no defaults are given to yargs (the caller merges
 * defaults, presets and a config file under the command line); --help shows the type, the choices, the
 * default and, when given, what each preset sets.
 */
export function toYargs(
  table: OptionTable,
  presets: Record<string, Record<string, unknown>> = {},
): Record<string, YargsOption> {
  const out: Record<string, YargsOption> = {};
  for (const [name, spec] of Object.entries(table)) {
    const hints: string[] = [];
    if ((spec.type === 'int' || spec.type === 'number') && !spec.choices) hints.push(expected(spec));
    if (spec.choices) hints.push(`choices: ${spec.choices.join(', ')}`);
    if (spec.demand) hints.push('required');
    const defaults = spec.default !== undefined ? [JSON.stringify(spec.default)] : [];
    for (const [preset, values] of Object.entries(presets)) {
      if (values[name] !== undefined && values[name] !== spec.default)
        defaults.push(`${preset}: ${JSON.stringify(values[name])}`);
    }
    out[name] = {
      describe: `${spec.describe}${hints.length ? ` [${hints.join('; ')}]` : ''}`,
      ...(spec.type === 'boolean' ? { type: 'boolean' } : { requiresArg: true }),
      ...(spec.type === 'string' ? { type: 'string' } : {}),
      ...(defaults.length ? { defaultDescription: defaults.join('; ') } : {}),
    };
  }
  return out;
}

/** How yargs must parse for `toYargs`: numbers as text, the last of a repeated option wins. */
export const PARSER_CONFIGURATION = {
  'parse-numbers': false,
  'parse-positional-numbers': false,
  'duplicate-arguments-array': false,
  'camel-case-expansion': false,
  'strip-aliased': true,
} as const;

/**
 * A strict yargs parser for a table, grouped in --help by the entries' `group`; `.parse()` it and pass
 * the result to `cliValues`. yargs only rejects unknown options and missing arguments; the values are
 * checked by the table.
 */
export function cliParser(
  args: string[],
  table: OptionTable,
  opts: { scriptName: string; usage: string; presets?: Record<string, Record<string, unknown>> },
): Argv {
  let y = yargs(args)
    .scriptName(opts.scriptName)
    .usage(opts.usage)
    .parserConfiguration(PARSER_CONFIGURATION)
    .options(toYargs(table, opts.presets));
  const groups = new Map<string, string[]>();
  for (const [name, spec] of Object.entries(table)) {
    if (!spec.group) continue;
    groups.set(spec.group, [...(groups.get(spec.group) ?? []), name]);
  }
  for (const [group, names] of groups) y = y.group(names, `${group}:`);
  // yargs' own errors (an unknown option, a missing value) are thrown as OptionError, so the caller
  // prints one line (`error: ...`) as for a bad value, not the whole --help text first.
  return y
    .strict()
    .help()
    .showHelpOnFail(false)
    .fail((msg, err) => {
      throw new OptionError(`${msg ?? err?.message}; --help lists the options`);
    });
}

/** The table's options among parsed yargs arguments, validated (as text) and named `--option` in errors. */
export function cliValues<T extends OptionTable>(argv: Record<string, unknown>, table: T): ValuesOf<T> {
  const given = Object.fromEntries(
    Object.entries(argv).filter(([k, v]) => v !== undefined && Object.hasOwn(table, k)),
  );
  return validateValues(given, table, { cli: true });
}

/**
 * A command's options from its arguments (`hideBin(process.argv)`): parsed by cliParser (so `--help`
 * prints the table and exits), checked by the table, defaults filled in.
 */
export async function parseOptions<T extends OptionTable>(
  args: string[],
  table: T,
  opts: { scriptName: string; usage: string },
): Promise<OptionsOf<T>> {
  const argv = await cliParser(args, table, opts).parse();
  return resolveOptions(table, cliValues(argv, table));
}

/**
 * Runs a command's main: every expected failure (a bad option, a missing run, an unreadable image) is
 * one line `error: ...` and exit code 1; BICYCLE_VERBOSE=1 adds the stack.
 */
export async function runCommand(main: () => Promise<void>): Promise<void> {
  try {
    await main();
  } catch (e) {
    console.error(`error: ${e instanceof Error ? e.message : String(e)}`);
    if (process.env.BICYCLE_VERBOSE && e instanceof Error) console.error(e.stack);
    process.exit(1);
  }
}

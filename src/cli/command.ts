// A small declarative layer over node:util parseArgs: each command lists its flags once, and gets
// validation (unknown flag, missing flag, bad number) and its --help text from that list.
import { parseArgs } from "node:util";
import { InputError } from "../formats/errors.ts";

export interface FlagSpec {
  readonly type: "string" | "boolean";
  readonly required?: boolean;
  readonly description: string;
  /** Placeholder in usage text, e.g. FILE or N. */
  readonly value?: string;
}

export interface Output {
  out(line: string): void;
  err(line: string): void;
  readonly stderrIsTTY: boolean;
  progress(text: string): void;
}

export interface Command {
  /** Words after poolfleet-cli, e.g. ["node", "key-gen"]. */
  readonly path: readonly string[];
  readonly summary: string;
  readonly flags: Readonly<Record<string, FlagSpec>>;
  readonly example: string;
  run(flags: Flags, io: Output): Promise<number> | number;
}

export class Flags {
  readonly #values: Record<string, string | boolean | undefined>;
  readonly #command: string;
  constructor(values: Record<string, string | boolean | undefined>, command: string) {
    this.#values = values;
    this.#command = command;
  }
  string(name: string): string {
    const v = this.#values[name];
    if (typeof v !== "string" || v === "") throw new InputError(`--${name}`, `is required by ${this.#command}`);
    return v;
  }
  optionalString(name: string): string | undefined {
    const v = this.#values[name];
    return typeof v === "string" ? v : undefined;
  }
  boolean(name: string): boolean {
    return this.#values[name] === true;
  }
  /** A non-negative whole number (slots, periods, counters). */
  natural(name: string): number {
    return parseNatural(this.string(name), `--${name}`);
  }
  optionalNatural(name: string): number | undefined {
    const v = this.optionalString(name);
    return v === undefined ? undefined : parseNatural(v, `--${name}`);
  }
}

export function parseNatural(text: string, where: string): number {
  if (!/^\d+$/.test(text.trim())) throw new InputError(where, `"${text}" is not a whole number >= 0`);
  const n = Number(text.trim());
  if (!Number.isSafeInteger(n)) throw new InputError(where, `${text} is too large`);
  return n;
}

export function parseFlags(command: Command, argv: string[]): Flags {
  const options: Record<string, { type: "string" | "boolean" }> = {};
  for (const [name, spec] of Object.entries(command.flags)) options[name] = { type: spec.type };
  const name = command.path.join(" ");
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args: argv, options, strict: true, allowPositionals: false }) as {
      values: Record<string, string | boolean | undefined>;
    });
  } catch (error) {
    const msg = (error as Error).message.split(/\.\s/)[0]!.replace(/^Unknown option '(.*)'$/, "unknown option $1");
    throw new InputError(name, `${msg} (see poolfleet-cli ${name} --help)`);
  }
  for (const [flag, spec] of Object.entries(command.flags)) {
    if (spec.required && (values[flag] === undefined || values[flag] === "")) {
      throw new InputError(name, `missing --${flag} (see poolfleet-cli ${name} --help)`);
    }
  }
  return new Flags(values, name);
}

export function usage(command: Command): string {
  const lines = [`poolfleet-cli ${command.path.join(" ")} — ${command.summary}`, "", "Flags:"];
  const entries = Object.entries(command.flags);
  const width = Math.max(...entries.map(([n, s]) => n.length + (s.value ? s.value.length + 1 : 0))) + 4;
  for (const [flag, spec] of entries) {
    const left = `--${flag}${spec.value ? ` ${spec.value}` : ""}`;
    lines.push(`  ${left.padEnd(width)}${spec.required ? "" : "(optional) "}${spec.description}`);
  }
  lines.push("", "Example:", `  ${command.example}`);
  return lines.join("\n");
}

import { InputError } from "../../formats/errors.ts";

/** An RFC 3339 time given on the command line, or now. */
export function parseTime(text: string | undefined, where: string): Date {
  if (text === undefined) return new Date();
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(text)) {
    throw new InputError(where, `"${text}" is not an RFC 3339 time such as 2026-11-21T12:00:00Z`);
  }
  const date = new Date(text);
  if (Number.isNaN(date.getTime())) throw new InputError(where, `"${text}" is not a valid time`);
  return date;
}

/** cardano-cli's time format in text output: 2022-10-25 00:00:00 UTC. */
export function formatUtc(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19).replace("T", " ")} UTC`;
}

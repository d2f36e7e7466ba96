/**
 * Bad input from a person or a file: the message names where (a file, a flag, a field) and what is wrong,
 * and never contains secret bytes. Callers show `message` as it is.
 */
export class InputError extends Error {
  readonly where: string;
  readonly problem: string;
  constructor(where: string, problem: string) {
    super(`${where}: ${problem}`);
    this.name = "InputError";
    this.where = where;
    this.problem = problem;
  }
}

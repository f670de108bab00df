import { parseArgs } from "node:util";
import { InputError } from "../common/errors.js";

export interface Command {
  name: string;
  usage: string;
  run(argv: string[]): Promise<number>;
}

type Options = NonNullable<Parameters<typeof parseArgs>[0]>["options"];
export type FlagValue = string | boolean | string[] | boolean[] | undefined;
export interface ParsedFlags {
  values: Record<string, FlagValue>;
  positionals: string[];
}

/**
 * node:util parseArgs in strict mode, with its errors turned into one line that names the
 * command and the flag (exit 2), instead of a stack trace.
 */
export function parseFlags(
  command: string,
  argv: string[],
  options: Options,
  allowPositionals = false,
): ParsedFlags {
  try {
    const parsed = parseArgs({ args: argv, options, strict: true, allowPositionals });
    return { values: parsed.values as Record<string, FlagValue>, positionals: parsed.positionals };
  } catch (err) {
    const message = (err as Error).message.split("\n")[0]?.replace(/\. To specify a positional.*$/, "") ?? "";
    throw new InputError(`${command}: ${message}`);
  }
}

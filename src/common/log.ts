import { envVar } from "./environment.js";
/**
 * Progress goes to stderr so stdout stays clean for data (exports, snapshots, JSON).
 * STORESHIFT_QUIET=1 silences it; tests use that to keep their output readable.
 */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  debug(message: string): void;
}

const quiet = () => envVar("STORESHIFT_QUIET") === "1";
const verbose = () => (envVar("DEBUG") ?? "").includes("storeshift") || envVar("STORESHIFT_DEBUG") === "1";

export const log: Logger = {
  info(message) {
    if (!quiet()) process.stderr.write(`storeshift: ${message}\n`);
  },
  warn(message) {
    process.stderr.write(`storeshift: warning: ${message}\n`);
  },
  debug(message) {
    if (verbose()) process.stderr.write(`storeshift: debug: ${message}\n`);
  },
};

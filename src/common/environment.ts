/**
 * The one place in src/ that reads the process environment. Everything else asks for a variable
 * here, so a program embedding storeshift (or a test) can inject an environment with
 * `useEnvironment` instead of mutating `process.env`; biome's `noProcessEnv` keeps it that way
 * (the CLI in src/cli/ is the process's edge and may read it directly).
 */
export type Environment = Readonly<Record<string, string | undefined>>;

let injected: Environment | undefined;

/** The environment storeshift runs with: the injected one, or the process's. */
export function environment(): Environment {
  // biome-ignore lint/style/noProcessEnv: the single sanctioned read
  return injected ?? process.env;
}

export function envVar(name: string): string | undefined {
  return environment()[name];
}

/** Replaces the environment storeshift reads (undefined: back to the process's). */
export function useEnvironment(env: Environment | undefined): void {
  injected = env;
}

/**
 * Sets a variable in the process environment when it is unset, for a third-party library that reads
 * `process.env` itself (testcontainers' Ryuk and host settings); storeshift's own code never needs it.
 */
export function defaultForThirdParty(name: string, value: string): void {
  // biome-ignore lint/style/noProcessEnv: testcontainers reads only process.env
  if (process.env[name] === undefined) process.env[name] = value;
}

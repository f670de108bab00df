import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { packageRoot } from "./run-suites.js";

/** The slice of a cucumber-js configuration storeshift adds to. */
export interface CucumberConfig {
  import?: string[];
  format?: Array<string | [string, string]>;
  formatOptions?: Record<string, unknown>;
  [key: string]: unknown;
}

/** Absolute path of the step library's entry module (cucumber's `import` takes paths, not packages). */
export function stepsEntryPath(): string {
  return join(packageRoot(), "dist", "steps", "index.js");
}

/** The formatter plugin as a file URL, so cucumber finds it wherever storeshift is installed. */
export function formatterSpecifier(): string {
  // quoted: a file URL has colons, which cucumber would otherwise read as "format:output"
  return `"${pathToFileURL(join(packageRoot(), "dist", "src", "runner", "formatter-plugin.js")).href}"`;
}

/**
 * A project's cucumber configuration with storeshift's steps, World and hooks imported and its
 * reports written, for `cucumber.mjs`: `export default withStoreshift({ import: ["steps/**\/*.js"] })`.
 * The project's own settings are kept; storeshift's step library loads before the project's steps,
 * so a project can define steps on top of it.
 */
export function withStoreshift(
  config: CucumberConfig = {},
  reports: { reportDir?: string } = {},
): CucumberConfig {
  const formatOptions = (config.formatOptions ?? {}) as Record<string, unknown>;
  return {
    ...config,
    import: [stepsEntryPath(), ...(config.import ?? [])],
    format: [...(config.format ?? []), formatterSpecifier()],
    formatOptions: {
      ...formatOptions,
      storeshift: { ...(formatOptions.storeshift as object | undefined), ...reports },
    },
  };
}

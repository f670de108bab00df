import { isMissing, locate, type Tool } from "../../src/binaries/locate.js";

/**
 * A test that needs a binary asks here. When the binary is missing the test FAILS with the reason:
 * CI installs every binary first, so a missing one is a broken setup, not a reason to skip.
 */
export async function requireBinary(tool: Tool): Promise<string> {
  const found = await locate(tool);
  if (isMissing(found)) throw new Error(`test setup: ${found.reason}`);
  return found.path;
}

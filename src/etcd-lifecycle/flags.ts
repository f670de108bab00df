/**
 * Pure flag rewrites for restarting a member under another etcd version or setting. Each version
 * refuses flags it does not know, so a rolling upgrade cannot reuse the old command line as is.
 */

function minorOf(version: string): number {
  const [major, minor] = version.split(".").map(Number);
  if (major !== 3 || minor === undefined || Number.isNaN(minor))
    throw new Error(`etcd version "${version}": expected 3.x.y`);
  return minor;
}

function without(args: string[], flag: string): string[] {
  return args.filter((a) => a !== flag && !a.startsWith(`${flag}=`));
}

/** Sets `--flag=value`, replacing any earlier value of it. */
export function withFlag(args: string[], flag: string, value: string): string[] {
  return [...without(args, flag), `${flag}=${value}`];
}

/**
 * The member's flags for etcd `version`:
 * - 3.6 has no v2 API: `--enable-v2` (and `--v2-deprecation` of 3.5) go;
 * - 3.5 keeps `--enable-v2` only when `enableV2` (the upgrade guide removes it before 3.6);
 * - 3.4 has no `--unsafe-no-fsync`; 3.5+ gets it (throwaway test stores need no fsync).
 */
export function flagsForVersion(args: string[], version: string, options: { enableV2: boolean }): string[] {
  const minor = minorOf(version);
  let out = args;
  if (minor >= 6 || !options.enableV2) out = without(out, "--enable-v2");
  if (minor >= 6) out = without(out, "--v2-deprecation");
  if (minor <= 4) out = without(out, "--unsafe-no-fsync");
  else if (!out.some((a) => a.startsWith("--unsafe-no-fsync"))) out = [...out, "--unsafe-no-fsync=true"];
  return out;
}

/** "3.5.35" → "3.5": what `/version`'s etcdcluster field reports once every member runs it. */
export function minorVersion(version: string): string {
  return `3.${minorOf(version)}`;
}

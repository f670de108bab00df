/**
 * Progress of one Go toolchain call, read from its output: modules downloaded (`go: downloading`)
 * and, for `go build -v`, packages compiled. `go build -v` names each package as it compiles it and
 * says nothing about packages it takes from its build cache, so the count is "compiled so far" of
 * the total that `go list -deps` gave; a warm cache finishes below the total. Pure: the caller feeds
 * output and decides when to print (a timer, every 10 s).
 */
export class GoProgress {
  private readonly compiled = new Set<string>();
  private downloads = 0;
  private rest = "";

  constructor(
    readonly what: string,
    readonly started: number,
    /** Every package of the build (`go list -deps`); unknown for calls that are not builds. */
    readonly packages?: ReadonlySet<string>,
  ) {}

  feed(text: string): void {
    const lines = (this.rest + text).split("\n");
    this.rest = lines.pop() ?? "";
    for (const line of lines) this.take(line.trim());
  }

  /** Flushes a last line that had no newline. */
  end(): void {
    if (this.rest) this.take(this.rest.trim());
    this.rest = "";
  }

  private take(line: string): void {
    if (line.startsWith("go: downloading ")) this.downloads++;
    else if (this.packages?.has(line)) this.compiled.add(line);
  }

  get compiledCount(): number {
    return this.compiled.size;
  }

  get downloadCount(): number {
    return this.downloads;
  }

  /** "building kube-apiserver 1.37.2: 812/1904 packages, 4 min 10 s" (modules while none compiled yet). */
  line(now: number): string {
    const elapsed = formatDuration(now - this.started);
    if (this.packages && this.compiled.size > 0)
      return `${this.what}: ${this.compiled.size}/${this.packages.size} packages, ${elapsed}`;
    if (this.downloads > 0) return `${this.what}: ${this.downloads} modules downloaded, ${elapsed}`;
    return `${this.what}: ${elapsed}`;
  }
}

/** "45 s", "4 min 10 s", "1 h 2 min": what a person reads in a log line. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

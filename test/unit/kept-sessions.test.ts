import assert from "node:assert/strict";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { readSession, writeNewSession } from "../../src/session/up-session.js";

let cache: string;
before(async () => {
  cache = await mkdtemp(join(tmpdir(), "kept-sessions-"));
  process.env.STORESHIFT_CACHE = cache;
});
after(async () => {
  delete process.env.STORESHIFT_CACHE;
  await rm(cache, { recursive: true, force: true });
});

const record = (pid: number) => ({ ownerPid: pid, startedAt: "2026-12-02T00:00:00Z", stores: [] });

test("two keeps of one scenario get two session names; the first record is not overwritten", async () => {
  const slug = `keep-${"a-very-long-scenario-title-that-runs-past-the-limit-".repeat(2)}`;
  const first = await writeNewSession(slug, record(101));
  const second = await writeNewSession(slug, record(202));
  assert.notEqual(first, second);
  assert.ok(first.length <= 63 && second.length <= 63, `${first} / ${second}`);
  assert.equal((await readSession(first))?.ownerPid, 101);
  assert.equal((await readSession(second))?.ownerPid, 202);
  assert.deepEqual(
    (await readdir(join(cache, "sessions"))).sort(),
    [`${first}.json`, `${second}.json`].sort(),
  );
});

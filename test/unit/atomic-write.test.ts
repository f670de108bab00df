import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { after, test } from "node:test";
import {
  moveIntoPlace,
  writeDirAtomic,
  writeFileAtomic,
  writeFileAtomicVia,
  writeFileAtomicWith,
} from "../../src/common/atomic-write.js";

const root = await mkdtemp(join(tmpdir(), "storeshift-atomic-write-"));
after(() => rm(root, { recursive: true, force: true }));

let n = 0;
async function freshDir(): Promise<string> {
  const dir = join(root, `case-${n++}`);
  await mkdir(dir);
  return dir;
}

/** 64 KiB pieces of one repeated letter: a mixed or cut file shows as a wrong length or letter. */
function pieces(letter: string, count: number): string[] {
  return Array.from({ length: count }, () => letter.repeat(64 * 1024));
}

test("a stream that errors mid-write leaves the old content and no temp file", async () => {
  const dir = await freshDir();
  const path = join(dir, "snapshot.ndjson");
  await writeFile(path, "old content\n");
  const failing = Readable.from(
    (async function* () {
      yield* pieces("a", 8);
      throw new Error("reader broke at piece 8");
    })(),
  );
  await assert.rejects(writeFileAtomic(path, failing), /reader broke at piece 8/);
  assert.equal(await readFile(path, "utf8"), "old content\n");
  assert.deepEqual(await readdir(dir), ["snapshot.ndjson"]);
});

test("a failed first write leaves no file at all under the real name", async () => {
  const dir = await freshDir();
  const path = join(dir, "result.json");
  await assert.rejects(
    writeFileAtomicWith(path, async (write) => {
      await write("{ half");
      throw new Error("renderer failed");
    }),
    /renderer failed/,
  );
  assert.deepEqual(await readdir(dir), []);
});

test("a completed write replaces the old content whole, with the mode asked for", async () => {
  const dir = await freshDir();
  const path = join(dir, "result.json");
  await writeFile(path, "old");
  const count = await writeFileAtomicWith(
    path,
    async (write) => {
      for (const p of pieces("b", 16)) await write(p);
      return 16;
    },
    { mode: 0o600 },
  );
  assert.equal(count, 16);
  assert.equal(await readFile(path, "utf8"), "b".repeat(16 * 64 * 1024));
  assert.equal((await stat(path)).mode & 0o777, 0o600);
  assert.deepEqual(await readdir(dir), ["result.json"]);
});

test("concurrent writers to one path: the file is exactly one writer's content, no temps left", async () => {
  const dir = await freshDir();
  const path = join(dir, "shared.json");
  const letters = "cdefghij".split("");
  // each writer yields between pieces, so their writes interleave on the event loop
  await Promise.all(
    letters.map((letter) =>
      writeFileAtomic(
        path,
        (async function* () {
          for (const p of pieces(letter, 12)) {
            await new Promise((r) => setImmediate(r));
            yield p;
          }
        })(),
      ),
    ),
  );
  const text = await readFile(path, "utf8");
  assert.equal(text.length, 12 * 64 * 1024);
  const first = text[0] ?? "";
  assert.ok(letters.includes(first));
  assert.equal(text, first.repeat(text.length));
  assert.deepEqual(await readdir(dir), ["shared.json"]);
});

test("a reader during a slow write sees the old content until the rename", async () => {
  const dir = await freshDir();
  const path = join(dir, "report.html");
  await writeFile(path, "old");
  let seenMidWrite = "";
  await writeFileAtomicWith(path, async (write) => {
    await write("new, part one;");
    seenMidWrite = await readFile(path, "utf8");
    await write(" part two");
  });
  assert.equal(seenMidWrite, "old");
  assert.equal(await readFile(path, "utf8"), "new, part one; part two");
});

test("a file written by another program: placed on success, temp removed on failure", async () => {
  const dir = await freshDir();
  const path = join(dir, "calicoctl");
  await writeFile(path, "old binary");
  await assert.rejects(
    writeFileAtomicVia(path, async (tmp) => {
      await writeFile(tmp, "half a bina");
      throw new Error("go build: exit 2");
    }),
    /go build: exit 2/,
  );
  assert.equal(await readFile(path, "utf8"), "old binary");
  assert.deepEqual(await readdir(dir), ["calicoctl"]);
  // a producer that "succeeds" without writing the file must not leave the target changed
  await assert.rejects(
    writeFileAtomicVia(path, async () => undefined),
    /ENOENT/,
  );
  assert.equal(await readFile(path, "utf8"), "old binary");
  const got = await writeFileAtomicVia(path, async (tmp) => {
    await writeFile(tmp, "new binary");
    return "built";
  });
  assert.equal(got, "built");
  assert.equal(await readFile(path, "utf8"), "new binary");
  assert.deepEqual(await readdir(dir), ["calicoctl"]);
});

test("a directory is filled whole or not at all", async () => {
  const dir = await freshDir();
  const target = join(dir, "bug.replay");
  await assert.rejects(
    writeDirAtomic(target, async (tmp) => {
      await writeFile(join(tmp, "bundle.json"), "{}");
      throw new Error("tar -xzf: unexpected EOF");
    }),
    /unexpected EOF/,
  );
  assert.deepEqual(await readdir(dir), []);
  await writeDirAtomic(target, async (tmp) => {
    await writeFile(join(tmp, "bundle.json"), "{}");
  });
  assert.deepEqual(await readdir(target), ["bundle.json"]);
  // a second writer finds it taken and says so; the first one's content stays
  await assert.rejects(
    writeDirAtomic(target, async (tmp) => {
      await writeFile(join(tmp, "other.json"), "{}");
    }),
    (err: NodeJS.ErrnoException) => err.code === "ENOTEMPTY" || err.code === "EEXIST",
  );
  assert.deepEqual(await readdir(target), ["bundle.json"]);
  assert.deepEqual(await readdir(dir), ["bug.replay"]);
});

test("moveIntoPlace replaces the target with the staged file", async () => {
  const dir = await freshDir();
  const staged = join(dir, "staged");
  const to = join(dir, "etcd");
  await writeFile(staged, "v3.6.16");
  await writeFile(to, "v3.6.15");
  await moveIntoPlace(staged, to);
  assert.equal(await readFile(to, "utf8"), "v3.6.16");
  assert.equal(existsSync(staged), false);
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { cacheRoot } from "../../src/binaries/cache.js";
import { useEnvironment } from "../../src/common/environment.js";
import { tempRoot } from "../../src/common/temp.js";

test("an injected environment is what the library reads, and the process's returns after it", () => {
  const before = cacheRoot();
  useEnvironment({ STORESHIFT_CACHE: "/injected/cache", STORESHIFT_TMPDIR: "/injected/tmp" });
  try {
    assert.equal(cacheRoot(), "/injected/cache");
    assert.equal(tempRoot(), "/injected/tmp");
  } finally {
    useEnvironment(undefined);
  }
  assert.equal(cacheRoot(), before);
});

test("a variable missing from the injected environment is unset, even when the process has it", () => {
  useEnvironment({ XDG_CACHE_HOME: "/xdg" });
  try {
    assert.equal(cacheRoot(), "/xdg/storeshift");
  } finally {
    useEnvironment(undefined);
  }
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { calicoctlEnv } from "../../src/calico/calicoctl/adapter.js";
import { CALICO_RELEASES, localReplaceDirs, locateCalicoctl } from "../../src/calico/calicoctl/install.js";

test("each known release names its tag commit and a pseudo-version of that very commit", () => {
  for (const r of Object.values(CALICO_RELEASES)) {
    assert.match(r.commit, /^[0-9a-f]{40}$/);
    const m = /^v\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?\.0\.(\d{14})-([0-9a-f]{12})$/.exec(r.pseudoVersion);
    assert.ok(m, r.pseudoVersion);
    assert.equal(m[3], r.commit.slice(0, 12));
  }
});

test("the replace directives that point into the module tree are found (they are what a module zip lacks)", () => {
  const goMod = `module github.com/projectcalico/calico

replace (
\tgithub.com/projectcalico/api => ./api
\tgithub.com/projectcalico/calico/lib/std => ./lib/std
\tk8s.io/api => k8s.io/api v0.34.1
)

replace github.com/projectcalico/calico/lib/httpmachinery => ./lib/httpmachinery
`;
  assert.deepEqual(localReplaceDirs(goMod), ["./api", "./lib/std", "./lib/httpmachinery"]);
});

test("calicoctl is configured like users configure it, and a bad STORESHIFT_CALICOCTL is reported, not used", async () => {
  assert.deepEqual(calicoctlEnv({ type: "etcdv3", endpoints: ["http://a:1", "http://b:2"] }), {
    DATASTORE_TYPE: "etcdv3",
    ETCD_ENDPOINTS: "http://a:1,http://b:2",
  });
  assert.deepEqual(calicoctlEnv({ type: "kubernetes", kubeconfigPath: "/k" }), {
    DATASTORE_TYPE: "kubernetes",
    KUBECONFIG: "/k",
  });
  const saved = process.env.STORESHIFT_CALICOCTL;
  process.env.STORESHIFT_CALICOCTL = "/nonexistent/calicoctl";
  try {
    const found = await locateCalicoctl("3.32.1");
    assert.ok("missing" in found);
    assert.match(found.reason, /STORESHIFT_CALICOCTL=\/nonexistent\/calicoctl is not an executable file/);
  } finally {
    if (saved === undefined) delete process.env.STORESHIFT_CALICOCTL;
    else process.env.STORESHIFT_CALICOCTL = saved;
  }
});

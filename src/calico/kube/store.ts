import type { KubeConfig } from "@kubernetes/client-node";
import { StoreshiftError } from "../../common/errors.js";
import { CRD_GROUP, requireKind } from "../kinds.js";
import { isStatus, KubeError, KubeRest } from "./client.js";
import type { CrdManifest } from "./crds.js";
import type { KubeObject } from "./encoding.js";

/** Calico's objects in a Kubernetes API server: its CRDs, their CRs, and core/v1 Nodes. */
export class CalicoKube {
  readonly rest: KubeRest;
  constructor(kubeConfig: KubeConfig, maxSockets = 64, signal?: AbortSignal) {
    this.rest = new KubeRest(kubeConfig, maxSockets, signal);
  }

  close(): void {
    this.rest.close();
  }
  [Symbol.dispose](): void {
    this.close();
  }

  collectionPath(kind: string, namespace?: string): string {
    const k = requireKind(kind, "kubernetes path");
    return k.scope === "Namespaced" && namespace
      ? `/apis/${CRD_GROUP}/v1/namespaces/${namespace}/${k.plural}`
      : `/apis/${CRD_GROUP}/v1/${k.plural}`;
  }

  objectPath(kind: string, name: string, namespace?: string): string {
    return `${this.collectionPath(kind, namespace)}/${encodeURIComponent(name)}`;
  }

  /** Create, or on AlreadyExists replace (get + update); retried on conflicts like calicoctl apply. */
  async installCrds(crds: CrdManifest[]): Promise<void> {
    const base = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";
    await Promise.all(
      crds.map(async (crd) => {
        const res = await this.rest.request("POST", base, crd);
        if (res.status === 409) {
          for (let attempt = 0; ; attempt++) {
            const current = (await this.rest.expect("GET", `${base}/${crd.metadata.name}`)) as KubeObject;
            const body = {
              ...crd,
              metadata: { ...crd.metadata, resourceVersion: current.metadata.resourceVersion },
            };
            const put = await this.rest.request("PUT", `${base}/${crd.metadata.name}`, body);
            if (put.status === 409 && attempt < 5) continue;
            if (put.status > 299)
              throw new KubeError("PUT", `${base}/${crd.metadata.name}`, put.status, put.body);
            break;
          }
        } else if (res.status > 299) throw new KubeError("POST", base, res.status, res.body);
      }),
    );
    await this.waitEstablished(crds.map((c) => c.metadata.name));
  }

  async waitEstablished(names: string[], timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (const name of names) {
      for (;;) {
        const crd = (await this.rest.expect(
          "GET",
          `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`,
        )) as { status?: { conditions?: { type: string; status: string }[] } };
        if (crd.status?.conditions?.some((c) => c.type === "Established" && c.status === "True")) break;
        if (Date.now() > deadline)
          throw new StoreshiftError(`install CRD ${name}: not Established after ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  /** Names of the Calico CRDs installed now. */
  async calicoCrdNames(): Promise<string[]> {
    const list = (await this.rest.expect(
      "GET",
      "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
    )) as {
      items: CrdManifest[];
    };
    return list.items.filter((c) => c.spec.group === CRD_GROUP).map((c) => c.metadata.name);
  }

  async deleteCrds(names: string[]): Promise<void> {
    await Promise.all(
      names.map(async (name) => {
        const res = await this.rest.request(
          "DELETE",
          `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`,
        );
        if (res.status > 299 && res.status !== 404)
          throw new KubeError("DELETE", `customresourcedefinitions/${name}`, res.status, res.body);
      }),
    );
  }

  /**
   * Waits until the CRDs are really gone (their CRs are deleted with them). A CRD deleted while the
   * API server was restarting, or before it was established, can sit in Terminating for minutes while
   * the cleanup finalizer backs off; after `settleMs` storeshift finishes that finalizer's work itself:
   * it deletes any instance left, and only when none is left does it drop the finalizer.
   */
  async waitCrdsGone(names: string[], timeoutMs = 180_000, settleMs = 20_000): Promise<void> {
    const started = Date.now();
    for (;;) {
      const left = (await this.calicoCrdNames()).filter((n) => names.includes(n));
      if (left.length === 0) return;
      if (Date.now() - started > timeoutMs)
        throw new StoreshiftError(`delete Calico CRDs: still present: ${left.join(", ")}`);
      if (Date.now() - started > settleMs) for (const name of left) await this.finishCrdCleanup(name);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  private async finishCrdCleanup(name: string): Promise<void> {
    const path = `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`;
    const got = await this.rest.request("GET", path);
    if (got.status === 404) return;
    const crd = got.body as {
      metadata: { deletionTimestamp?: string; finalizers?: string[] };
      spec: { group: string; names: { plural: string } };
    };
    if (!crd.metadata.deletionTimestamp || (crd.metadata.finalizers ?? []).length === 0) return;
    const list = await this.rest.request("GET", `/apis/${crd.spec.group}/v1/${crd.spec.names.plural}`);
    const items = list.status === 200 ? ((list.body as { items?: KubeObject[] }).items ?? []) : [];
    if (items.length > 0) {
      for (const item of items) {
        const ns = item.metadata.namespace ? `namespaces/${item.metadata.namespace}/` : "";
        await this.rest.request(
          "DELETE",
          `/apis/${crd.spec.group}/v1/${ns}${crd.spec.names.plural}/${item.metadata.name}`,
        );
      }
      return;
    }
    // no instance is left: the finalizer has nothing more to protect
    const res = await this.rest.request("PUT", path, {
      ...crd,
      metadata: { ...crd.metadata, finalizers: [] },
    });
    if (res.status > 299 && res.status !== 404 && res.status !== 409)
      throw new KubeError("PUT", `customresourcedefinitions/${name} (finalizers)`, res.status, res.body);
  }

  /** All objects of a kind in all namespaces; an absent CRD gives an empty list. */
  async list(kind: string): Promise<KubeObject[]> {
    const items: KubeObject[] = [];
    let cont = "";
    do {
      const path = `${this.collectionPath(kind)}?limit=500${cont ? `&continue=${encodeURIComponent(cont)}` : ""}`;
      const res = await this.rest.request("GET", path);
      if (res.status === 404) return [];
      if (res.status > 299) throw new KubeError("GET", path, res.status, res.body);
      const body = res.body as { items: KubeObject[]; metadata?: { continue?: string } };
      for (const item of body.items) items.push({ ...item, apiVersion: `${CRD_GROUP}/v1`, kind });
      cont = body.metadata?.continue ?? "";
    } while (cont);
    return items;
  }

  async get(kind: string, name: string, namespace?: string): Promise<KubeObject | undefined> {
    const res = await this.rest.request("GET", this.objectPath(kind, name, namespace));
    if (res.status === 404) return undefined;
    if (res.status > 299)
      throw new KubeError("GET", this.objectPath(kind, name, namespace), res.status, res.body);
    return res.body as KubeObject;
  }

  async create(obj: KubeObject): Promise<KubeObject> {
    return (await this.rest.expect(
      "POST",
      this.collectionPath(obj.kind, obj.metadata.namespace),
      obj,
    )) as KubeObject;
  }

  async replace(obj: KubeObject): Promise<KubeObject> {
    return (await this.rest.expect(
      "PUT",
      this.objectPath(obj.kind, obj.metadata.name, obj.metadata.namespace),
      obj,
    )) as KubeObject;
  }

  async listNodes(): Promise<KubeObject[]> {
    const body = (await this.rest.expect("GET", "/api/v1/nodes")) as { items: KubeObject[] };
    return body.items;
  }

  async getNode(name: string): Promise<KubeObject | undefined> {
    const res = await this.rest.request("GET", `/api/v1/nodes/${encodeURIComponent(name)}`);
    if (res.status === 404) return undefined;
    if (res.status > 299) throw new KubeError("GET", `/api/v1/nodes/${name}`, res.status, res.body);
    return res.body as KubeObject;
  }

  /** libcalico-go writes Calico Node data with UpdateStatus on the core/v1 Node. */
  async replaceNodeStatus(node: KubeObject): Promise<KubeObject> {
    return (await this.rest.expect(
      "PUT",
      `/api/v1/nodes/${encodeURIComponent(node.metadata.name)}/status`,
      node,
    )) as KubeObject;
  }

  async replaceNode(node: KubeObject): Promise<KubeObject> {
    return (await this.rest.expect(
      "PUT",
      `/api/v1/nodes/${encodeURIComponent(node.metadata.name)}`,
      node,
    )) as KubeObject;
  }

  async createNamespace(name: string): Promise<void> {
    const res = await this.rest.request("POST", "/api/v1/namespaces", {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name },
    });
    if (res.status > 299 && res.status !== 409)
      throw new KubeError("POST", "/api/v1/namespaces", res.status, res.body);
  }

  async createNode(name: string, labels: Record<string, string> = {}): Promise<void> {
    const res = await this.rest.request("POST", "/api/v1/nodes", {
      apiVersion: "v1",
      kind: "Node",
      metadata: { name, labels },
    });
    if (res.status > 299 && res.status !== 409)
      throw new KubeError("POST", "/api/v1/nodes", res.status, res.body);
  }
}

export { isStatus };

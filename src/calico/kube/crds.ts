import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { InputError } from "../../common/errors.js";
import { type CalicoKind, CRD_GROUP, CRD_KINDS } from "../kinds.js";
import { isObject } from "../model.js";

/** A CustomResourceDefinition as plain JSON, ready to POST to apiextensions.k8s.io/v1. */
export interface CrdManifest {
  apiVersion: "apiextensions.k8s.io/v1";
  kind: "CustomResourceDefinition";
  metadata: { name: string; [field: string]: unknown };
  spec: {
    group: string;
    names: { kind: string; plural: string; [field: string]: unknown };
    scope: string;
    [field: string]: unknown;
  };
}

/**
 * The CRD storeshift generates for a kind: right group, names and scope, a schema that keeps every
 * field (validation is the real Calico CRDs' job when a user passes them), and the status
 * subresource where Calico's own CRD has one, so status is handled the same way.
 */
export function generateCrd(k: CalicoKind): CrdManifest {
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: `${k.plural}.${CRD_GROUP}` },
    spec: {
      group: CRD_GROUP,
      names: { kind: k.kind, listKind: `${k.kind}List`, plural: k.plural, singular: k.kind.toLowerCase() },
      scope: k.scope,
      versions: [
        {
          name: "v1",
          served: true,
          storage: true,
          schema: { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } },
          ...(k.statusSubresource ? { subresources: { status: {} } } : {}),
        },
      ],
    },
  };
}

export function generatedCrds(): CrdManifest[] {
  return CRD_KINDS.map(generateCrd);
}

/**
 * Reads CRD manifests from a file or a directory of YAML files (multi-document allowed). Only
 * Calico's group is kept; anything that is not a CRD is an error naming the file.
 */
export async function loadCrdManifests(path: string): Promise<CrdManifest[]> {
  let files: string[];
  try {
    const entries = await readdir(path);
    files = entries.filter((f) => /\.ya?ml$/.test(f)).map((f) => join(path, f));
  } catch {
    files = [path];
  }
  const out: CrdManifest[] = [];
  for (const file of files.sort()) {
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch (err) {
      throw new InputError(`read CRD manifest ${file}: ${(err as Error).message}`);
    }
    for (const doc of parseAllDocuments(text) as ReturnType<typeof parseAllDocuments> & unknown[]) {
      if (doc.errors[0])
        throw new InputError(`parse CRD manifest ${file}: ${doc.errors[0].message.split("\n")[0]}`);
      const value = doc.toJS() as unknown;
      if (value === null || value === undefined) continue;
      if (!isObject(value) || value.kind !== "CustomResourceDefinition")
        throw new InputError(`CRD manifest ${file}: a document is not a CustomResourceDefinition`);
      const crd = value as unknown as CrdManifest;
      if (crd.spec?.group === CRD_GROUP) out.push(crd);
    }
  }
  if (out.length === 0) throw new InputError(`CRD manifests ${path}: no ${CRD_GROUP} CRDs found`);
  return out;
}

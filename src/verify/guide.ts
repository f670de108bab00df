import { basename } from "node:path";
import type { SourceKind, SourcePurpose, SourceSpec } from "../sources/index.js";

/**
 * The operator guide of each migration as a feature file over a copy of the user's data. Written
 * with the same steps a QA engineer writes, so its report, its replay and its bundle are those of
 * any run. Pure.
 */
function quoted(text: string): string {
  return `"${text.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

const SOURCE_STEP: Record<SourcePurpose, Partial<Record<SourceKind, string>>> = {
  calico: {
    snapshot: 'the etcd snapshot %s restored as etcd "source"',
    "data-dir": 'the etcd data directory %s copied as etcd "source"',
    "calico-export": 'the Calico export %s seeded into etcd "source"',
    "etcd-endpoint": 'the live etcd %s copied as etcd "source"',
  },
  "etcd-v2v3": {
    "data-dir": 'the etcd data directory %s copied as etcd "source"',
    "v2-dump": 'the etcd v2 dump %s seeded into etcd "source"',
    "etcd-endpoint": 'the v2 keys of the live etcd %s copied as etcd "source"',
  },
};

export function sourceStep(purpose: SourcePurpose, spec: SourceSpec): string {
  const template = SOURCE_STEP[purpose][spec.kind];
  if (!template) throw new Error(`no ${purpose} guide starts from a ${spec.kind}`);
  return template.replace("%s", quoted(spec.location));
}

/**
 * How the rollback check reads. An export file is written while etcd is locked, so etcd seeded from
 * one starts locked and the rollback rightly leaves it unlocked: the lock flag is the one difference
 * the check may account for, and the step says so. Every other source starts as the cluster ran.
 */
function rollbackCheck(fromExport: boolean): string {
  return fromExport
    ? 'And Calico etcd "source" is unchanged since snapshot "before", apart from the lock flag'
    : 'And Calico etcd "source" is unchanged since snapshot "before", apart from what locking initialised';
}

function calicoGuide(source: string, label: string, fromExport: boolean): string {
  return `@byo @calico
Feature: storeshift verify calico --from ${label}
  The guide on a private copy: lock the etcd datastore, export, import into a local control plane,
  verify, unlock; then the rollback, verified against etcd as it was.

  Background:
    Given ${source}
    And a Kubernetes cluster with the source's nodes and namespaces

  Scenario: the forward migration moves every object the guide says it moves
    When I lock the etcd datastore
    And I export the etcd datastore
    And I snapshot Calico etcd "source" as "source"
    And I import the export into Kubernetes
    And I unlock the Kubernetes datastore
    Then Calico in Kubernetes holds what snapshot "source" maps to under "calico-etcd-to-kube"

  @rollback
  Scenario: migrate, then roll back: etcd is as it was, Kubernetes holds no Calico objects
    When I snapshot Calico etcd "source" as "before"
    And I lock the etcd datastore
    And I export the etcd datastore
    And I import the export into Kubernetes
    And I unlock the Kubernetes datastore
    And I roll back to etcd
    Then Kubernetes holds no Calico objects
    ${rollbackCheck(fromExport)}
`;
}

function etcdGuide(source: string, label: string): string {
  const scenario = (mode: "offline" | "online", how: string) => `
  Scenario: ${mode}: ${how}, verified, then rolled back
    Given ${source}
    When I snapshot etcd "source" as "v3-before"
    And I snapshot etcd v2 "source" as "v2-before"
    And I migrate etcd "source" ${mode === "offline" ? "offline, one member at a time" : "online"}
    Then the ${mode} migration of etcd "source" verifies
    When I roll back the ${mode} migration of etcd "source"
    Then etcd "source" is unchanged since snapshot "v3-before"
    And etcd v2 "source" is unchanged since snapshot "v2-before"
`;
  return `@byo @etcd-v2v3
Feature: storeshift verify etcd-v2v3 --from ${label}
  Both ways the guide allows, each on its own private copy, each verified and rolled back.
${scenario("offline", "the real `etcdctl migrate` on the stopped member")}${scenario("online", "storeshift's online migrator")}`;
}

export function guideFeature(purpose: SourcePurpose, spec: SourceSpec): string {
  const label = spec.kind === "etcd-endpoint" ? spec.location : basename(spec.location);
  const source = sourceStep(purpose, spec);
  return purpose === "calico"
    ? calicoGuide(source, label, spec.kind === "calico-export")
    : etcdGuide(source, label);
}
